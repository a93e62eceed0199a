import Foundation
import RatingRules
import CDRIngest

/// One file of a run, as its rating knows it before reading it.
struct FileJob {
    let path: RawPath
    let digest: String
    let size: Int64
    /// When the run began the file: the ledger's started_at.
    let started: Date
}

/// What the first reading of a file found.
struct FileRead {
    let job: FileJob
    let layout: CDRLayout?
    let scan: FileScan
    /// The calls as read, for the second pass (nil in a dry run and in one pass, which have none).
    let calls: CallLog?
    /// A what-if with proposed tariffs: the same calls classified and priced by them.
    var proposed: FileScan? = nil

    var path: RawPath { job.path }
}

/// The allocation planned from a file's first reading.
struct FilePlan {
    let allocation: AllocationPlan
    let usage: [UsageWrite]
    /// Stored calls re-priced because the file brings earlier calls.
    let repriced: [CallChange]
}
