import ArgumentParser
import Billing
import Foundation
import Reports

struct FilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "The file ledger: lists it ('files', 'files list'), or accepts a partial file as final ('files accept FILE').",
        discussion: """
            Examples:
              cdr-rater files --since 2024-10-03            did every file of last night go in?
              cdr-rater files --status partial              files that ended early, still waiting for the complete file
              cdr-rater files accept 2024-10-03-sw2.csv.gz  the complete file is gone: accept the partial one as final

            See 'cdr-rater files list --help' and 'cdr-rater files accept --help'.

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """,
        subcommands: [FilesListCommand.self, FilesAcceptCommand.self],
        defaultSubcommand: FilesListCommand.self)
}

struct FilesListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Lists the file ledger, newest first: what was rated, cut short (partial) or failed, with counts and times.",
        discussion: """
            Times are in the business zone (billing_settings.business_zone); seconds is finished_at - started_at; \
            accepted says who accepted a partial file as final, and when.

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

struct FilesAcceptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accept",
        abstract: "Accepts a partial file (its gzip ends early) as final, when the complete file is not to be had.",
        discussion: """
            The lines before the damage stay stored; who accepted it and when go into the ledger, and later runs \
            treat the file as rated (archived with --archive-dir, no longer failing the night). Name the file on \
            disk, or, when it is gone, its name or path as 'cdr-rater files --status partial' lists it.

            Examples:
              cdr-rater files --status partial
              cdr-rater files accept /var/spool/cdr/inbox/2024-10-03-sw2.csv.gz
              cdr-rater files accept 2024-10-03-sw2.csv.gz

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """)

    @Argument(help: "The partial file: a path on disk, or its name or path in the ledger.")
    var file: String

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let who = "\(ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.userName)@\(ProcessInfo.processInfo.hostName)"
        switch try FileLedger.accept(try database.connect(), file: file, by: who) {
        case let .accepted(name, stored):
            print("accepted \(name) as final (\(stored) calls stored), by \(who); later runs treat it as rated")
        case let .acceptedBefore(name, by):
            print("\(name) was accepted as final already, by \(by)")
        }
    }
}

