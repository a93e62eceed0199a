import ArgumentParser
import Billing
import Foundation
import RatingRules
import Reports

// The option groups of `rate` and `rerate` (`@OptionGroup`, as
// swift-argument-parser's Examples/math shares its `Options`): each makes
// one Billing value. The checks that read more than one group stay in the
// command's `validate()`, in the order an operator has always met them.

/// `rate`'s input: the files, and how their lines are read (`InputSelection`).
struct InputOptions: ParsableArguments {
    @Argument(help: "CDR files or folders of CDR files.")
    var paths: [String] = []

    @Option(help: "Leave alone files modified less than this many seconds ago (a switch may still be writing them).")
    var minAge: Double = InputSelection.defaultMinAge

    @Option(help: "The switches' time zone, to read their zone-less timestamps (usage periods are always in the business zone, billing_settings.business_zone).")
    var timezone: String = "Asia/Kolkata"

    @Option(help: "CSV layout: auto (from the first record), freeswitch or asterisk.")
    var cdrFormat: LayoutChoice = .auto

    enum LayoutChoice: String, ExpressibleByArgument, CaseIterable { case auto, freeswitch, asterisk }

    /// The switches' zone; nil for a name that is not an IANA zone (`RateCommand.validate` refuses it).
    var switchZone: ZoneRules? { ZoneRules(identifier: timezone) }

    /// Once validated.
    func inputSelection() -> InputSelection {
        InputSelection(paths: paths, switchZone: switchZone!, layout: CDRLayout(rawValue: cdrFormat.rawValue), minAge: minAge)
    }
}

/// `rate`'s tuning: the result is the same for any value (`ReadingTuning`).
struct TuningOptions: ParsableArguments {
    @Option(help: "Parse workers (Dispatch); the result is the same for any value.")
    var workers: Int = ReadingTuning.defaultWorkers

    @Option(help: "Lines per work chunk, 1 to 100000 (tuning only; the result is the same for any value; memory grows with it).")
    var chunkLines: Int = ReadingTuning.defaultChunkLines

    @Flag(inversion: .prefixedNo,
          help: "Load a file whose calls all fall in one month that has no partition yet (a backfill) into a fresh partition, indexed after the load.")
    var bulkLoad = ReadingTuning.defaultBulkLoad

    @Flag(inversion: .prefixedNo,
          help: ArgumentHelp("Rate a file in one pass (its calls go to COPY as it is read) when its months have partitions (tuning and tests only).", visibility: .hidden))
    var singlePass = ReadingTuning.defaultSinglePass

    @Option(help: ArgumentHelp("Calls the first reading sorts in memory before it writes a sorted run to the temporary folder (tuning and tests only).", visibility: .hidden))
    var sortRunCalls: Int = ReadingTuning.defaultSortRunCalls

    func readingTuning() -> ReadingTuning {
        var tuning = ReadingTuning()
        tuning.workers = workers
        tuning.chunkLines = chunkLines
        tuning.sortRunCalls = sortRunCalls
        tuning.bulkLoad = bulkLoad
        tuning.singlePass = singlePass
        return tuning
    }
}

/// What a `rate` writes and moves besides the database, and when a file fails as not CDRs (`RunEffects`).
struct EffectsOptions: ParsableArguments {
    @Flag(help: "Read the database in a read-only transaction and write nothing anywhere; print what the run would do.")
    var dryRun = false

    @Option(help: "Move each file into this folder once its rating committed (and any file found already rated).")
    var archiveDir: String?

    @Option(help: "Folder for rejects files (made 0700 if missing; the files are 0600: they hold raw lines, phone numbers and names).")
    var rejectsDir: String = RunEffects.defaultRejectsDirectory

    @Option(help: ArgumentHelp("A file of \(RatingRun.rejectShareMinLines) lines or more whose rejected lines are more than this percentage fails as \"mostly not CDRs\", nothing of it stored (0 to 100).", valueName: "percent"))
    var maxRejectShare: Double = RunEffects.defaultMaxRejectShare

    func runEffects() -> RunEffects {
        var effects = RunEffects()
        effects.dryRun = dryRun
        effects.rejectsDirectory = URL(fileURLWithPath: rejectsDir).standardizedFileURL.path
        effects.archiveDirectory = archiveDir
        effects.maxRejectShare = maxRejectShare
        return effects
    }
}

/// --lock-wait of `rate` and `rerate` (`LockPolicy`).
struct LockWaitOptions: ParsableArguments {
    @Option(help: "Seconds to wait for another run's rating lock before giving up with exit 75 (default 0: do not wait).")
    var lockWait: Double = LockPolicy.defaultWait

    func validate() throws { try LockWaitOptions.check(lockWait) }

    func lockPolicy() -> LockPolicy { LockPolicy(wait: lockWait) }

    /// Seconds: a day at most. Past it a nightly job only piles up behind the lock; NaN and infinity are refused.
    static let bound = 0.0 ... 86_400

    /// The one bound of every command's --lock-wait (rate, rerate, migrate, seed undo).
    static func check(_ seconds: Double) throws {
        guard bound.contains(seconds) else { throw ValidationError("--lock-wait must be between 0 and 86400 seconds (a day)") }
    }
}

/// How a command words --plans: each says what its report shows of the what-if.
protocol PlansHelp {
    static var plansHelp: ArgumentHelp { get }
}

/// --plans of `rate` and `rerate`: a what-if, with --dry-run (`WhatIf`).
struct WhatIfOptions<Help: PlansHelp>: ParsableArguments {
    @Option(name: .customLong("plans"), help: Help.plansHelp)
    var plansFile: String?

    @Option(name: .customLong("plan-tariff"), help: ArgumentHelp(
        "What-if (with --dry-run): PLAN=FILE, a proposed tariff deck (the CSV of 'tariffs import') pricing that plan's calls; repeatable.",
        valueName: "plan=file"))
    var planTariffs: [String] = []

    @Option(name: .customLong("plan-bands"), help: ArgumentHelp("The bands file of a --plan-tariff deck: PLAN=FILE.", valueName: "plan=file"))
    var planBands: [String] = []

    /// The proposed plans and decks, read from their files; nil without --plans or --plan-tariff.
    func whatIf() throws -> WhatIf? {
        guard plansFile != nil || !planTariffs.isEmpty else { return nil }
        let bands = try Dictionary(planBands.map(Self.pair), uniquingKeysWith: { _, b in b })
        var decks: [String: TariffDeck] = [:]
        for (plan, file) in try planTariffs.map(Self.pair) {
            do {
                let bandLines = try bands[plan].map { try TariffFile.bands(try TariffsCommand.read($0, "--plan-bands"), file: $0) }
                let rows = try TariffFile.rows(try TariffsCommand.read(file, "--plan-tariff"), file: file, bands: bandLines, bandsFile: bands[plan])
                decks[plan] = TariffDeck(name: "\(file) (proposed)", rows: rows.map(\.row), bands: TimeBands((bandLines ?? []).map(\.band)))
            } catch let e as TariffFile.Problems {
                throw BillingError.usage(e.description + "\n--plan-tariff \(plan): nothing was rated")
            }
        }
        return WhatIf(proposedPlans: try plansFile.map(loadProposedPlans) ?? [], proposedTariffs: decks)
    }

    private static func pair(_ text: String) throws -> (String, String) {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex, text.index(after: eq) != text.endIndex else {
            throw ValidationError("'\(text)' is not PLAN=FILE (for example Starter=proposed.csv)")
        }
        return (String(text[..<eq]), String(text[text.index(after: eq)...]))
    }

    /// --plans or --plan-tariff without --dry-run is refused.
    func check(dryRun: Bool) throws {
        if (plansFile != nil || !planTariffs.isEmpty) && !dryRun {
            throw ValidationError("--plans and --plan-tariff are a what-if: use them with --dry-run")
        }
        if !planBands.isEmpty && planTariffs.isEmpty { throw ValidationError("--plan-bands goes with --plan-tariff") }
    }
}

/// --format of the report of `rate` and `rerate`.
struct ReportFormatOptions: ParsableArguments {
    @Option(help: "Report format: table, json or csv.")
    var format: RunReport.Format = .table
}
