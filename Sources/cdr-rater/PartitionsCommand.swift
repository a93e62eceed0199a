import ArgumentParser
import Billing
import Foundation
import Reports

/// `cdr-rater partitions`: the monthly partitions of cdrs.
struct PartitionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partitions",
        abstract: "Makes, lists, detaches and attaches the monthly partitions of cdrs.",
        discussion: """
            cdrs is partitioned by month of start_time (months of the business zone), one table
            cdrs_YYYY_MM a month. 'rate' makes the months its files need; 'ensure' makes the coming
            ones ahead of time, from cron, so that no rating waits for one. A detached month leaves
            cdrs (its table stays, for pg_dump and DROP); its uuids stay known, so a CDR of it sent
            again is still a duplicate, and rating or re-rating its calls is refused until it is
            attached back.

            Examples:
              cdr-rater partitions ensure --ahead 3      this month and the next three
              cdr-rater partitions list
              cdr-rater partitions detach 2023-10        then: pg_dump -t cdrs_2023_10 ...; DROP TABLE cdrs_2023_10
              cdr-rater partitions attach 2023-10

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """,
        subcommands: [Ensure.self, List.self, Detach.self, Attach.self])

    struct Ensure: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Makes the partitions of this month and the next N; idempotent.",
            discussion: """
                Examples:
                  cdr-rater partitions ensure              this month and the next
                  cdr-rater partitions ensure --ahead 3    monthly from cron, so that no night's run makes one
                """)
        @Option(help: "Months after the current one to make.")
        var ahead = 3
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            if ahead < 0 || ahead > 120 { throw ValidationError("--ahead must be between 0 and 120") }
        }

        func run() throws {
            let made = try Partitions.ensureAhead(try database.connect(), months: ahead)
            print(made.isEmpty ? "partitions: all \(ahead + 1) month(s) were there already" : "partitions: made \(made.joined(separator: ", "))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lists the months: partition, bounds (business zone), estimated rows, archived or not.",
            discussion: """
                Examples:
                  cdr-rater partitions list
                """)
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let months = try Partitions.list(try database.connect())
            let table = Tabular(columns: ["month", "table", "from", "to", "rows (estimate)", "state"], rows: months.map { m in
                [m.month, m.table, m.from, m.to, m.rows < 0 ? "-" : String(m.rows), m.archived ? "archived (detached)" : "attached"]
            })
            // Columns at least as wide as they always were, so the listing reads as before.
            table.tableLines(separator: " ", minimumWidths: [8, 14, 11, 11, 16]).forEach { print($0) }
            if months.isEmpty { print("(no partitions yet: 'cdr-rater partitions ensure' or a 'rate' makes them)") }
        }
    }

    struct Detach: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Detaches a month (YYYY-MM) for archiving; its table stays.",
            discussion: """
                Runs as the owner of cdrs. Rating and rerate refuse calls of a detached month until it is attached again.

                Examples:
                  cdr-rater partitions detach 2023-01
                """)
        @Argument(help: "The month, YYYY-MM.")
        var month: String
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let table = try Partitions.detach(try database.connect(), month: month)
            print("partitions: \(month) detached; its calls are in table \(table), outside cdrs. Archive it "
                + "(pg_dump -t \(table)), then DROP TABLE \(table); or 'cdr-rater partitions attach \(month)'")
        }
    }

    struct Attach: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Attaches a detached month (YYYY-MM) back.",
            discussion: """
                Runs as the owner of cdrs.

                Examples:
                  cdr-rater partitions attach 2023-01
                """)
        @Argument(help: "The month, YYYY-MM.")
        var month: String
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            try Partitions.attach(try database.connect(), month: month)
            print("partitions: \(month) attached")
        }
    }
}
