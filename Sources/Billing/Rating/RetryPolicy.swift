/// Which uuids the first reading looks up in cdr_uuids before COPY.
/// Each lookup costs a random probe of an index that grows for years;
/// most files hold no stored call, and the unique index catches any.
enum Lookup {
    /// One call in `sampleEvery`: a file overlapping stored calls by more than a few lines is found out.
    case sample
    case every

    static let sampleEvery = 64
}

/// How a file is tried again when concurrent runs got in its way: a value,
/// so that its rules are read, and tested, in one place.
///
/// The first attempt goes in one pass when it can and looks up a sample of
/// the file's uuids (the unique index of cdr_uuids catches any it missed).
/// Every later one goes in two passes and looks up every uuid; from the
/// third on, the file holds the gate alone (`FileGate`), so that no other
/// run can store its calls between its lookup and its COPY. At most
/// `attempts` in all.
struct RetryPolicy: Equatable {
    /// Times a file is rated from the start when concurrent runs got in its way.
    static let attempts = 4
    /// The first attempt that holds the gate alone.
    static let aloneFrom = 3

    private(set) var attempt = 1
    private(set) var lookup: Lookup
    /// Whether this attempt tries one pass first (it falls back to two within the attempt).
    private(set) var onePass: Bool

    var alone: Bool { attempt >= RetryPolicy.aloneFrom }

    /// A dry run looks up every uuid (it has no unique index to catch a miss) and has no one pass.
    init(dryRun: Bool, singlePass: Bool) {
        lookup = dryRun ? .every : .sample
        onePass = !dryRun && singlePass
    }

    /// Why an attempt is given up for another.
    enum Retry: Equatable {
        /// A sampled uuid is stored already: read again, every uuid looked up.
        case sampledCallStored
        /// Another run stored some of its calls meanwhile, or a deadlock with it.
        case conflict
        /// Something another run changed meanwhile (a usage row's included minutes).
        case changedMeanwhile
    }

    /// Moves on to the next attempt after `why`; false when none is left
    /// (the attempt's error is then the file's failure).
    mutating func retry(after why: Retry) -> Bool {
        guard attempt < RetryPolicy.attempts else { return false }
        attempt += 1
        lookup = .every
        onePass = false
        return true
    }
}
