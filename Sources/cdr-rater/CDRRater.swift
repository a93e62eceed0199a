import ArgumentParser
import Billing
import ConcurrencyHelpers
import Foundation
import Logging
import Postgres
import RatingRules

/// The command line: subcommands only, no business logic.
struct CDRRater: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cdr-rater",
        abstract: "Rates telecom call detail records into the billing database.",
        discussion: """
            The database comes from --database-url, else DATABASE_URL (a postgresql:// URI or \
            libpq key=value string), else the standard PG* variables.
            Exit codes: 0 success, 1 a file or the run failed (or a file named is known to be incomplete), \
            2 usage error, 75 another run held the rating lock longer than --lock-wait, 130 / 143 stopped by SIGINT / SIGTERM.

            Examples:
              cdr-rater migrate && cdr-rater seed          create and seed the database
              cdr-rater rate --dry-run samples/            what a batch would cost, writing nothing
              cdr-rater rate /var/spool/cdr/inbox          rate an inbox
              cdr-rater files --since 2024-10-03           did every file of last night go in?
              cdr-rater price --tariff ISD --destination +441632960001 --start '2024-10-07 19:59:30' --seconds 95
                                                           what a call costs by a tariff, and why
              cdr-rater <command> --help                   each command's options and examples
            """,
        version: "cdr-rater 0.3.0",
        subcommands: [MigrateCommand.self, SeedCommand.self, RateCommand.self, RerateCommand.self, CheckCommand.self, FilesCommand.self, PartitionsCommand.self, GrantsCommand.self, TariffsCommand.self, PriceCommand.self])
}

/// `--database-url`, shared by every subcommand.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: "PostgreSQL connection URI or key=value string (overrides DATABASE_URL and PG* variables); keep the password out of it, arguments show in ps.")
    var databaseURL: String?

    /// A password on the command line shows to every user of the machine (ps, /proc): said once, before connecting.
    func validate() throws {
        if let databaseURL, Connection.holdsPassword(databaseURL) {
            note("cdr-rater: warning: --database-url holds a password, which every user of this machine can read in the process list (ps); "
                + "put the URL in DATABASE_URL instead, or the password in ~/.pgpass or the file PGPASSFILE names")
        }
    }

    func connect() throws -> Connection {
        let text = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
        return try Connection(connectionString: text)
    }
}

/// The help's closing paragraphs, shared by the commands that touch the database.
enum HelpText {
    static let environment = """
        Environment:
          DATABASE_URL      the database (postgresql:// URI or key=value);
                            --database-url overrides it
          PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, ...
                            libpq's own, when DATABASE_URL is not set
          CDR_RATER_HOME    the folder holding Migrations/ and Seeds/; unset, they
                            are looked for beside the binary (its folder, its
                            ../share/cdr-rater, a checkout above .build/), never
                            in the working directory
          CDR_RATER_TRACE=1 log how long each step of each file took
          CDR_RATER_ADMIN_PASSWORD, CDR_RATER_SUPPORT_PASSWORD
                            seed: the staff users' passwords (production
                            generates them when unset)
        Secrets never go in arguments: every user of the machine sees a
        command line (ps), so a password in --database-url is warned about.
        Use DATABASE_URL, or libpq's password file (~/.pgpass, or PGPASSFILE).
        """
    static let exitCodes = """
        Exit codes:
          0         success
          1         a file or the run failed, was cut short, or a file
                    named is known to be incomplete
          2         usage error (arguments, an unparsable database URL)
          75        another run held the rating lock past --lock-wait
          130, 143  stopped by SIGINT, SIGTERM (file in progress rolled back)
        """
}

/// SIGINT and SIGTERM ask the run to stop cleanly instead of killing the process.
func stopOnSignals() -> StopRequest {
    let stop = StopRequest()
    for sig in [SIGINT, SIGTERM] {
        signal(sig, SIG_IGN)
        signalSources.withLock { sources in // made in here: what a Locked keeps comes from nowhere else
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.request(sig) }
            source.resume()
            sources.append(source)
        }
    }
    return stop
}
/// The signal sources, kept for the life of the process (a source let go stops watching).
private let signalSources = Locked<[DispatchSourceSignal]>([])

/// Writes a line for the operator on standard error (over the progress line, if one is drawn).
func note(_ line: String) {
    FileHandle.standardError.write(Data(((ProgressLine.active.value ? "\r\u{1B}[K" : "") + line + "\n").utf8))
}

/// The operator's log: each message alone on a line of standard error.
/// Levels: info by default, warning with --quiet, debug with CDR_RATER_TRACE=1.
struct OperatorLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// One line whatever the message holds: control characters are shown escaped (`escapedName`).
    func log(event: LogEvent) { note(escapedName(event.message.description.utf8)) }

    /// The logger the commands hand to the billing side.
    static func logger(quiet: Bool = false) -> Logger {
        var logger = Logger(label: "cdr-rater") { _ in OperatorLogHandler() }
        logger.logLevel = quiet ? .warning : ProcessInfo.processInfo.environment["CDR_RATER_TRACE"] == "1" ? .debug : .info
        return logger
    }
}

@main
enum Main {
    static func main() {
        do {
            var command = try CDRRater.parseAsRoot()
            try command.run()
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            let code = exitStatus(for: error)
            if code == 0 {
                print(CDRRater.fullMessage(for: error)) // --help, --version
                exit(0)
            }
            note(error is RunStopped ? "cdr-rater: \(error)" : "cdr-rater: error: \(message(for: error))")
            if code == 2 && !(error is OperatorFacingError) { // the argument parser's
                note("see 'cdr-rater --help' or 'cdr-rater <command> --help'")
            }
            exit(code)
        }
    }

    /// The one mapping from an error to the exit code: the error's own
    /// (`OperatorFacingError`: 1 a failure, 2 a usage error, 75 the rating
    /// lock held too long, 128 + N a signal), else the argument parser's.
    static func exitStatus(for error: Error) -> Int32 {
        switch error {
        case let e as OperatorFacingError: return e.exitCode
        case let e as ExitCode: return e.rawValue
        default:
            let code = CDRRater.exitCode(for: error)
            return code == .success ? 0 : 2 // argument parser: help, version, or a usage error
        }
    }

    /// The error as one line for the operator.
    static func message(for error: Error) -> String {
        (error as? OperatorFacingError)?.operatorMessage ?? CDRRater.message(for: error)
    }
}
