import ArgumentParser
import Billing
import Foundation
import Reports

struct RateCommand: ParsableCommand, PlansHelp {
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
              cdr-rater rate --dry-run --plan-tariff Starter=deck.csv --plan-bands Starter=bands.csv /var/spool/cdr/inbox
              cdr-rater rate --quiet --lock-wait 600 --min-age 300 \\
                --archive-dir /var/spool/cdr/archive \\
                --summary-json /var/lib/cdr-rater/last-run.json \\
                --metrics-file /var/lib/node_exporter/textfile/cdr_rater.prom \\
                /var/spool/cdr/inbox

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """)

    @OptionGroup var effects: EffectsOptions

    @OptionGroup var whatIf: WhatIfOptions<RateCommand>

    @OptionGroup var input: InputOptions

    @OptionGroup var lock: LockWaitOptions

    enum ProgressChoice: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

    @Option(help: "A live progress line on standard error: auto (only when it is a terminal), always or never.")
    var progress: ProgressChoice = .auto

    @Flag(help: "Print nothing but warnings and errors (for cron: mail only when something needs a person).")
    var quiet = false

    @Option(help: "Write the run's summary as JSON to this file (per file and per run; also when the run fails).")
    var summaryJson: String?

    @Option(help: "Write the run's metrics in the Prometheus text format to this file (for node_exporter's textfile collector).")
    var metricsFile: String?

    @OptionGroup var output: ReportFormatOptions

    @OptionGroup var tuning: TuningOptions

    @OptionGroup var database: DatabaseOptions

    static let plansHelp: ArgumentHelp = "What-if (with --dry-run): a JSON or CSV file of plan name -> included_minutes, overage_rate_per_minute; the report shows the proposed minutes and cost beside the current ones."

    /// Bounds of the tuning options: past them a value only costs memory (or overflows), it never helps.
    static let chunkLinesBound = 1 ... 100_000, sortRunCallsBound = 1 ... 1 << 20
    /// Seconds: 30 days of --min-age.
    static let minAgeBound = 0.0 ... 2_592_000

    func validate() throws {
        if !RateCommand.minAgeBound.contains(input.minAge) { throw ValidationError("--min-age must be between 0 and 2592000 seconds (30 days)") }
        for (flag, path) in [("--summary-json", summaryJson), ("--metrics-file", metricsFile)] {
            if let path, let problem = FileWriteError.problem(writing: path) {
                throw ValidationError("\(flag) \(path): \(problem)")
            }
        }
        if effects.archiveDir != nil && effects.dryRun { throw ValidationError("--archive-dir moves files: a dry run moves nothing, leave it out") }
        if metricsFile != nil && effects.dryRun { throw ValidationError("--metrics-file is the nightly run's: a dry run would overwrite it, leave it out") }
        if input.paths.isEmpty { throw ValidationError("name at least one CDR file or folder") }
        if tuning.workers < 1 || tuning.workers > 64 { throw ValidationError("--workers must be between 1 and 64") }
        for (flag, value, bound) in [("--chunk-lines", tuning.chunkLines, RateCommand.chunkLinesBound),
                                     ("--sort-run-calls", tuning.sortRunCalls, RateCommand.sortRunCallsBound)] where !bound.contains(value) {
            throw ValidationError("\(flag) must be between \(bound.lowerBound) and \(bound.upperBound)")
        }
        if !(0 ... 100).contains(effects.maxRejectShare) { throw ValidationError("--max-reject-share must be a percentage from 0 to 100") }
        try whatIf.check(dryRun: effects.dryRun)
        if input.switchZone == nil { throw ValidationError("unknown time zone '\(input.timezone)': use an IANA name such as Asia/Kolkata or Europe/London (abbreviations such as IST or BST mean more than one zone)") }
    }

    func run() throws {
        if !effects.dryRun { MallocTuning.apply() }
        let options = RatingOptions(input: input.inputSelection(), tuning: tuning.readingTuning(), effects: effects.runEffects(),
                                    lock: lock.lockPolicy(), whatIf: try whatIf.whatIf())
        var environment = RunEnvironment(connect: { [database] in try database.connect() }, stop: stopOnSignals())
        let started = Date()
        var report: RunReport?
        var run: RatingRun?
        let showProgress = !quiet && (progress == .always || (progress == .auto && isatty(STDERR_FILENO) == 1))
        let line = showProgress ? ProgressLine() : nil
        environment.progress = line?.progress
        defer { line?.stop() }
        do {
            _ = try RatingRun.inputFiles(input.paths) // usage errors before connecting
            let db = try database.connect()
            run = RatingRun(db: db, options: options, environment: environment, logger: OperatorLogHandler.logger(quiet: quiet))
            report = try run!.run()
            line?.stop()
            report!.whatIf = options.whatIf != nil
        } catch {
            try writeRunFiles(report: run?.report, started: started, exitCode: Main.exitStatus(for: error), error: error)
            throw error
        }
        let done = report!
        if !quiet {
            print(done.render(output.format), terminator: "")
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
            summary: files \(report.files.count), lines \(report.lines) = \(effects.dryRun ? "would be stored" : "stored") \(report.stored) (unmatched \(report.unmatched)) \
            + duplicates \(report.duplicates) + rejected \(report.rejected); minutes \(t.includedMinutes + t.overageMinutes) \
            (included \(t.includedMinutes), overage \(t.overageMinutes)), cost \(t.cost); \
            \(String(format: "%.2f", report.seconds)) s, \(rate) CDRs/s\(wait)\(effects.dryRun ? " (dry run, nothing written)" : "")
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
