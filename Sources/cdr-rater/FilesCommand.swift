import ArgumentParser
import Billing
import Foundation
import RatingCore

struct FilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "Lists the file ledger, newest first: what was rated, cut short (partial) or failed, with counts and times.",
        discussion: """
            Times are in the business zone (billing_settings.business_zone); seconds is finished_at - started_at.

            Examples:
              cdr-rater files --since 2024-10-03            did every file of last night go in?
              cdr-rater files --status partial              files that ended early, still waiting for the complete file
              cdr-rater files --status failed --format json

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """)

    enum Status: String, ExpressibleByArgument, CaseIterable { case rated, partial, failed }

    @Option(help: "Only files with this status: rated, partial or failed.")
    var status: Status?

    @Option(help: "Only files finished at or after this date (YYYY-MM-DD, or 'YYYY-MM-DD HH:MM:SS'), in the business zone.")
    var since: String?

    @Option(help: "Output format: table, json or csv.")
    var format: RunReport.Format = .table

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if let since { _ = try RerateCommand.dateTime(since, "--since") }
    }

    func run() throws {
        let ledger = try FileLedger(db: try database.connect(), status: status?.rawValue,
                                    since: try since.map { try RerateCommand.dateTime($0, "--since") })
        print(ledger.render(format), terminator: "")
    }
}
