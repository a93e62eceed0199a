import ArgumentParser
import Billing
import Foundation
import Postgres
import RatingCore

/// The command line: subcommands only, no business logic.
struct CDRRater: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cdr-rater",
        abstract: "Rates telecom call detail records into the billing database.",
        discussion: """
            The database comes from --database-url, else DATABASE_URL (a postgresql:// URI or \
            libpq key=value string), else the standard PG* variables.
            Exit codes: 0 success, 1 a file or the run failed, 2 usage error.
            """,
        version: "cdr-rater 0.3.0",
        subcommands: [MigrateCommand.self, SeedCommand.self, RateCommand.self, RerateCommand.self, CheckCommand.self, FilesCommand.self])
}

/// `--database-url`, shared by every subcommand.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: "PostgreSQL connection URI or key=value string (overrides DATABASE_URL and PG* variables).")
    var databaseURL: String?

    func connect() throws -> Connection {
        let text = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
        return try Connection(connectionString: text)
    }
}

/// Writes a line for the operator on standard error.
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

@main
enum Main {
    static func main() {
        do {
            var command = try CDRRater.parseAsRoot()
            try command.run()
        } catch let error as BillingError {
            note("cdr-rater: error: \(error.message)")
            exit(error.isUsage ? 2 : 1)
        } catch let error as PostgresError {
            note("cdr-rater: error: \(error)\(error.missingSchemaHint)")
            exit(error.kind == .badConnectionString ? 2 : 1)
        } catch let error as ProjectFiles.Missing {
            note("cdr-rater: error: \(error)")
            exit(1)
        } catch let error as FileReadError {
            note("cdr-rater: error: \(error)")
            exit(1)
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            let code = CDRRater.exitCode(for: error)
            if code == .success {
                print(CDRRater.fullMessage(for: error))
                exit(0)
            }
            note("cdr-rater: error: \(CDRRater.message(for: error))")
            note("see 'cdr-rater --help' or 'cdr-rater <command> --help'")
            exit(2)
        }
    }
}
