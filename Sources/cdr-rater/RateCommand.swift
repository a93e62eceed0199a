import ArgumentParser
import Billing
import Foundation
import RatingCore

struct RateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rate",
        abstract: "Rates FreeSWITCH or Asterisk CDR files (gzip or plain) into cdrs, subscription_usage and prepaid balances.",
        discussion: """
            Each file commits on its own: its cdrs rows, usage, balances and ledger entry together or not at all. \
            A file already rated (same SHA-256) is skipped, a CDR uuid already stored is counted as a duplicate. \
            Malformed lines go to <rejects-dir>/<file>.<sha>.rejects.csv (mode 0600, at most 10 MiB). \
            A file of 100 lines or more rejected past --max-reject-share fails as "mostly not CDRs". \
            Only regular files are read: a FIFO, device, socket, dangling link or a link to a folder inside a folder \
            is named in a warning and skipped; a 0-byte file is left for a later run. Names are shown with control \
            characters and bytes that are not UTF-8 escaped (\\xNN). The report goes to standard output, \
            the run summary and diagnostics to standard error.

            Examples:
              cdr-rater rate /var/spool/cdr/inbox
              cdr-rater rate --dry-run --format json 2024-10-03.csv.gz
              cdr-rater rate --quiet --lock-wait 600 --min-age 300 \\
                --archive-dir /var/spool/cdr/archive \\
                --summary-json /var/lib/cdr-rater/last-run.json \\
                --metrics-file /var/lib/node_exporter/textfile/cdr_rater.prom \\
                /var/spool/cdr/inbox

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """)

    @Flag(help: "Read the database in a read-only transaction and write nothing anywhere; print what the run would do.")
    var dryRun = false

    @Option(name: .customLong("plans"),
            help: "What-if (with --dry-run): a JSON or CSV file of plan name -> included_minutes, overage_rate_per_minute; the report shows the proposed minutes and cost beside the current ones.")
    var plansFile: String?

    @Option(help: "Move each file into this folder once its rating committed (and any file found already rated).")
    var archiveDir: String?

    @Option(help: "Leave alone files modified less than this many seconds ago (a switch may still be writing them).")
    var minAge: Double = 0

    enum ProgressChoice: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

    @Option(help: "A live progress line on standard error: auto (only when it is a terminal), always or never.")
    var progress: ProgressChoice = .auto

    @Flag(help: "Print nothing but warnings and errors (for cron: mail only when something needs a person).")
    var quiet = false

    @Option(help: "Write the run's summary as JSON to this file (per file and per run; also when the run fails).")
    var summaryJson: String?

    @Option(help: "Write the run's metrics in the Prometheus text format to this file (for node_exporter's textfile collector).")
    var metricsFile: String?

    @Option(help: "Report format: table, json or csv.")
    var format: RunReport.Format = .table

    @Option(help: "Parse workers (Dispatch); the result is the same for any value.")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Lines per work chunk, 1 to 100000 (tuning only; the result is the same for any value; memory grows with it).")
    var chunkLines: Int = 8192

    @Flag(inversion: .prefixedNo,
          help: "Load a file whose calls all fall in one month that has no partition yet (a backfill) into a fresh partition, indexed after the load.")
    var bulkLoad = true

    @Flag(inversion: .prefixedNo,
          help: ArgumentHelp("Rate a file in one pass (its calls go to COPY as it is read) when its months have partitions (tuning and tests only).", visibility: .hidden))
    var singlePass = true

    @Option(help: ArgumentHelp("Calls the first reading sorts in memory before it writes a sorted run to the temporary folder (tuning and tests only).", visibility: .hidden))
    var sortRunCalls: Int = FileScan.runLength

    @Option(help: "The switches' time zone, to read their zone-less timestamps (usage periods are always in the business zone, billing_settings.business_zone).")
    var timezone: String = "Asia/Kolkata"

    @Option(help: "CSV layout: auto (from the first record), freeswitch or asterisk.")
    var cdrFormat: LayoutChoice = .auto

    @Option(help: "Folder for rejects files (made 0700 if missing; the files are 0600: they hold raw lines, phone numbers and names).")
    var rejectsDir: String = "rejects"

    @Option(help: ArgumentHelp("A file of \(RatingRun.rejectShareMinLines) lines or more whose rejected lines are more than this percentage fails as \"mostly not CDRs\", nothing of it stored (0 to 100).", valueName: "percent"))
    var maxRejectShare: Double = 50

    @Argument(help: "CDR files or folders of CDR files.")
    var paths: [String] = []

    @Option(help: "Seconds to wait for another run's rating lock before giving up with exit 75 (default 0: do not wait).")
    var lockWait: Double = 0

    @OptionGroup var database: DatabaseOptions

    enum LayoutChoice: String, ExpressibleByArgument, CaseIterable { case auto, freeswitch, asterisk }

    /// Bounds of the tuning options: past them a value only costs memory (or overflows), it never helps.
    static let chunkLinesBound = 1 ... 100_000, sortRunCallsBound = 1 ... 1 << 20
    /// Seconds: a day of waiting for the lock, 30 days of --min-age.
    static let lockWaitBound = 0.0 ... 86_400, minAgeBound = 0.0 ... 2_592_000

    func validate() throws {
        if !RateCommand.lockWaitBound.contains(lockWait) { throw ValidationError("--lock-wait must be between 0 and 86400 seconds (a day)") }
        if !RateCommand.minAgeBound.contains(minAge) { throw ValidationError("--min-age must be between 0 and 2592000 seconds (30 days)") }
        for (flag, path) in [("--summary-json", summaryJson), ("--metrics-file", metricsFile)] {
            if let path, let problem = FileWriteError.problem(writing: path) {
                throw ValidationError("\(flag) \(path): \(problem)")
            }
        }
        if archiveDir != nil && dryRun { throw ValidationError("--archive-dir moves files: a dry run moves nothing, leave it out") }
        if metricsFile != nil && dryRun { throw ValidationError("--metrics-file is the nightly run's: a dry run would overwrite it, leave it out") }
        if paths.isEmpty { throw ValidationError("name at least one CDR file or folder") }
        if workers < 1 || workers > 64 { throw ValidationError("--workers must be between 1 and 64") }
        for (flag, value, bound) in [("--chunk-lines", chunkLines, RateCommand.chunkLinesBound),
                                     ("--sort-run-calls", sortRunCalls, RateCommand.sortRunCallsBound)] where !bound.contains(value) {
            throw ValidationError("\(flag) must be between \(bound.lowerBound) and \(bound.upperBound)")
        }
        if !(0 ... 100).contains(maxRejectShare) { throw ValidationError("--max-reject-share must be a percentage from 0 to 100") }
        if plansFile != nil && !dryRun { throw ValidationError("--plans is a what-if: use it with --dry-run") }
        if ZoneRules(identifier: timezone) == nil { throw ValidationError("unknown time zone '\(timezone)': use an IANA name such as Asia/Kolkata or Europe/London (abbreviations such as IST or BST mean more than one zone)") }
    }

    func run() throws {
        var options = RatingOptions(paths: paths, switchZone: ZoneRules(identifier: timezone)!)
        options.dryRun = dryRun
        options.workers = workers
        options.chunkLines = chunkLines
        options.sortRunCalls = sortRunCalls
        options.bulkLoad = bulkLoad
        options.singlePass = singlePass
        options.connect = { [database] in try database.connect() }
        options.layout = CDRLayout(rawValue: cdrFormat.rawValue)
        options.rejectsDirectory = URL(fileURLWithPath: rejectsDir).standardizedFileURL.path
        options.proposedPlans = try plansFile.map(loadProposedPlans)
        options.lockWait = lockWait
        options.stop = stopOnSignals()
        options.archiveDirectory = archiveDir
        options.minAge = minAge
        options.maxRejectShare = maxRejectShare
        let started = Date()
        var report: RunReport?
        var run: RatingRun?
        let showProgress = !quiet && (progress == .always || (progress == .auto && isatty(STDERR_FILENO) == 1))
        let line = showProgress ? ProgressLine() : nil
        options.progress = line?.progress
        defer { line?.stop() }
        do {
            _ = try RatingRun.inputFiles(paths) // usage errors before connecting
            let db = try database.connect()
            run = RatingRun(db: db, options: options, logger: OperatorLogHandler.logger(quiet: quiet))
            report = try run!.run()
            line?.stop()
            report!.whatIf = options.proposedPlans != nil
        } catch {
            try writeRunFiles(report: run?.report, started: started, exitCode: Main.exitStatus(for: error), error: error)
            throw error
        }
        let done = report!
        if !quiet {
            print(done.render(format), terminator: "")
            note(summaryLine(done))
        } else if done.stored > 0 && done.unmatched == done.stored {
            note("cdr-rater: warning: every stored call matched no subscription: is the catalog loaded?")
        }
        let failed = done.failedFiles > 0
        try writeRunFiles(report: done, started: started, exitCode: failed ? 1 : 0, error: nil)
        if failed {
            note("cdr-rater: error: \(done.failedFiles) file(s) failed, were cut short or are still incomplete; see the lines above")
            throw ExitCode(1)
        }
    }

    private func summaryLine(_ report: RunReport) -> String {
        let t = report.total
        let rate = report.seconds > 0 ? Int(Double(report.lines) / report.seconds) : 0
        let wait = report.lockWaitSeconds > 0 ? String(format: " (and %.1f s waiting for the rating lock)", report.lockWaitSeconds) : ""
        return """
            summary: files \(report.files.count), lines \(report.lines) = \(dryRun ? "would be stored" : "stored") \(report.stored) (unmatched \(report.unmatched)) \
            + duplicates \(report.duplicates) + rejected \(report.rejected); minutes \(t.includedMinutes + t.overageMinutes) \
            (included \(t.includedMinutes), overage \(t.overageMinutes)), cost \(t.cost); \
            \(String(format: "%.2f", report.seconds)) s, \(rate) CDRs/s\(wait)\(dryRun ? " (dry run, nothing written)" : "")
            """
    }

    /// --summary-json and --metrics-file, each written whole (temporary file + rename), also when the run failed.
    private func writeRunFiles(report: RunReport?, started: Date, exitCode: Int32, error: Error?) throws {
        let summary = RunSummary(report: report, started: started, finished: Date(), exitCode: exitCode,
                                 error: error.map { Main.message(for: $0) })
        do {
            if let summaryJson { try writeAtomically(summary.json(), to: summaryJson) }
            if let metricsFile { try writeAtomically(RunMetrics.text(summary), to: metricsFile) }
        } catch let writeError {
            note("cdr-rater: error: the run's summary or metrics: \(writeError)")
            if error == nil { throw ExitCode(1) }
        }
    }
}

extension RunReport.Format: ExpressibleByArgument {}
