import Foundation
import Postgres
import RatingCore

/// What `cdr-rater rate` was asked to do.
public struct RatingOptions {
    public var paths: [String]
    public var dryRun = false
    public var workers = 2
    public var chunkLines = 8192
    /// A file whose calls all fall in one month without a partition yet is loaded into a fresh table (`Partitions.bulkLoad`).
    public var bulkLoad = true
    /// Calls sorted in memory before the first reading writes a run to disk (`FileScan.runLength`).
    public var sortRunCalls = FileScan.runLength
    public var switchZone: ZoneRules
    public var layout: CDRLayout?
    public var rejectsDirectory = "rejects"
    /// What-if (with dryRun): plans' included minutes and rates replaced by these.
    public var proposedPlans: [ProposedPlan]?
    /// Seconds to wait for another run's rating lock before giving up (exit 75).
    public var lockWait: Double = 0
    /// Set by SIGINT/SIGTERM: the file in progress rolls back and the run stops.
    public var stop: StopRequest?
    /// Rate a file in one pass where it can (`RatingRun.inOnePass`) rather than read it twice.
    public var singlePass = true
    /// Opens another connection to the database: the single pass's lookups
    /// go to it while the run's own is in COPY. nil: every file in two passes.
    public var connect: (() throws -> Connection)?
    /// Where each file goes once its rating committed (or once it is found already rated).
    public var archiveDirectory: String?
    /// Files modified more recently than this many seconds are left for a later run.
    public var minAge: Double = 0
    /// Kept up to date for a live progress line.
    public var progress: RunProgress?
    /// Percent of a file's lines that may be rejected before it fails as "mostly not CDRs"
    /// (from `RatingRun.rejectShareMinLines` lines on).
    public var maxRejectShare: Double = 50

    public init(paths: [String], switchZone: ZoneRules) {
        self.paths = paths
        self.switchZone = switchZone
    }
}
