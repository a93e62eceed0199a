import Postgres

/// What a run works with rather than what it was asked: the collaborators
/// the caller hands in. Each may be left out: no second connection (every
/// file in two passes), no stop request, no progress line.
public struct RunEnvironment {
    /// Opens another connection to the database: the single pass's lookups
    /// go to it while the run's own is in COPY. nil: every file in two passes.
    public var connect: (() throws -> Connection)?
    /// Set by SIGINT/SIGTERM: the file in progress rolls back and the run stops.
    public var stop: StopRequest?
    /// Kept up to date for a live progress line.
    public var progress: RunProgress?

    public init(connect: (() throws -> Connection)? = nil, stop: StopRequest? = nil, progress: RunProgress? = nil) {
        self.connect = connect
        self.stop = stop
        self.progress = progress
    }
}
