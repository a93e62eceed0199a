import Foundation
import RatingRules
import CDRIngest

/// What `cdr-rater rate` was asked to do: values only, one per part of the
/// run a knob affects. The run's collaborators come apart (`RunEnvironment`).
public struct RatingOptions {
    /// Which files, and how their lines are read.
    public var input: InputSelection
    /// How the files are read; the result is the same for any tuning.
    public var tuning: ReadingTuning
    /// What the run writes and moves besides the database, and what makes a file fail.
    public var effects: RunEffects
    /// How long the run waits for the rating lock.
    public var lock: LockPolicy
    /// The what-if (with a dry run); nil: none.
    public var whatIf: WhatIf?

    public init(input: InputSelection, tuning: ReadingTuning = ReadingTuning(), effects: RunEffects = RunEffects(),
                lock: LockPolicy = LockPolicy(), whatIf: WhatIf? = nil) {
        self.input = input
        self.tuning = tuning
        self.effects = effects
        self.lock = lock
        self.whatIf = whatIf
    }

    /// A dry run reads the database in one read-only snapshot and writes nothing anywhere.
    public var dryRun: Bool { effects.dryRun }
}

/// The files a run rates and how their lines are read.
public struct InputSelection: Sendable {
    public static let defaultMinAge: Double = 0

    /// CDR files or folders of CDR files (`Inbox`).
    public var paths: [String]
    /// Files modified more recently than this many seconds are left for a later run.
    public var minAge: Double
    /// The CSV layout; nil: told by each file's first record.
    public var layout: CDRLayout?
    /// The switches' zone, to read their zone-less timestamps.
    public var switchZone: ZoneRules

    public init(paths: [String], switchZone: ZoneRules, layout: CDRLayout? = nil, minAge: Double = InputSelection.defaultMinAge) {
        self.paths = paths
        self.switchZone = switchZone
        self.layout = layout
        self.minAge = minAge
    }
}

/// How a file is read: tuning only, the result is the same for any value.
public struct ReadingTuning: Sendable, Equatable {
    public static let defaultWorkers = ProcessInfo.processInfo.activeProcessorCount
    public static let defaultChunkLines = FileParser.defaultChunkLines
    public static let defaultSortRunCalls = FileScan.runLength
    public static let defaultSinglePass = true
    public static let defaultBulkLoad = true

    /// Parse workers (`FileParser`).
    public var workers = ReadingTuning.defaultWorkers
    /// Lines per work chunk (`FileParser`).
    public var chunkLines = ReadingTuning.defaultChunkLines
    /// Calls sorted in memory before the first reading writes a run to disk (`FileScan.runLength`).
    public var sortRunCalls = ReadingTuning.defaultSortRunCalls
    /// Rate a file in one pass where it can (`RetryPolicy.onePass`) rather than read it twice.
    public var singlePass = ReadingTuning.defaultSinglePass
    /// A file whose calls all fall in one month without a partition yet is loaded into a fresh table (`Partitions.bulkLoad`).
    public var bulkLoad = ReadingTuning.defaultBulkLoad

    public init() {}
}

/// What a run does besides rating into the database, and when a file fails as not CDRs.
public struct RunEffects: Sendable, Equatable {
    public static let defaultRejectsDirectory = "rejects"
    public static let defaultMaxRejectShare: Double = 50

    /// Read the database in one read-only snapshot and write nothing anywhere.
    public var dryRun = false
    /// The folder of the rejects files.
    public var rejectsDirectory = RunEffects.defaultRejectsDirectory
    /// Where each file goes once its rating committed (or once it is found already rated); nil: it stays.
    public var archiveDirectory: String?
    /// Percent of a file's lines that may be rejected before it fails as "mostly not CDRs"
    /// (from `RatingRun.rejectShareMinLines` lines on).
    public var maxRejectShare = RunEffects.defaultMaxRejectShare

    public init() {}
}

/// How long a run waits for the rating lock (`RunLock`).
public struct LockPolicy: Sendable, Equatable {
    public static let defaultWait: Double = 0

    /// Seconds to wait for another run's rating lock before giving up (exit 75).
    public var wait: Double

    public init(wait: Double = LockPolicy.defaultWait) {
        self.wait = wait
    }
}

/// A what-if (with a dry run): the plans' included minutes and rates replaced by these,
/// and plans priced by proposed tariff decks (plan name -> deck) instead of their own.
public struct WhatIf: Sendable {
    public var proposedPlans: [ProposedPlan]
    public var proposedTariffs: [String: TariffDeck]

    public init(proposedPlans: [ProposedPlan], proposedTariffs: [String: TariffDeck] = [:]) {
        self.proposedPlans = proposedPlans
        self.proposedTariffs = proposedTariffs
    }
}
