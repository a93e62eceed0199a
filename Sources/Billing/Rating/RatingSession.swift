import Foundation
import Logging
import Postgres
import RatingRules
import CDRIngest

/// What every file of a run shares, set up once the run holds its lock or
/// snapshot: the database and stores (`RatingBackend`), the catalog and business zone, the
/// usage books, the parser, and what the run remembers of its own files.
/// Each file's rating (`FileRater`) reads it; nothing in it is set later.
final class RatingSession {
    let db: RatingDatabase
    /// Where the file's rated calls go (COPY).
    let copySink: CallCopySink
    let partitions: CallPartitions
    let locks: LockService
    let options: RatingOptions
    let environment: RunEnvironment
    let logger: Logger
    let store: BillingStore
    let ledger: LedgerStore
    let catalog: Catalog
    let businessZone: ZoneRules
    /// The usage rows as this run knows them: refreshed per file, recorded after its commit.
    let usage: UsageBook
    /// The what-if book (dry run with --plans): the proposed plans' view of the same periods.
    let whatIf: UsageBook?
    /// Classifies calls again by the proposed tariffs of a what-if (nil without --plan-tariff).
    let whatIfClassifier: CallClassifier?
    let parser: FileParser
    /// The single pass's lookups.
    let lookups: LookupSource
    /// Fingerprints and uuids rated earlier in this run: in a dry run the
    /// database never sees them, so duplicates across files are caught here.
    let seen: SeenThisRun
    let step: StepTimer

    init(backend: RatingBackend, options: RatingOptions, environment: RunEnvironment, logger: Logger) throws {
        db = backend.database
        copySink = backend.copy
        partitions = backend.partitions
        locks = backend.locks
        self.options = options
        self.environment = environment
        self.logger = logger
        let store = backend.store
        self.store = store
        ledger = backend.ledger
        let context = try backend.context()
        catalog = context.catalog
        businessZone = context.businessZone
        usage = UsageBook(store: store, catalog: catalog, businessZone: businessZone)
        let proposed = try options.whatIf.map {
            try CatalogLoader.proposing($0.proposedPlans, tariffs: $0.proposedTariffs, in: context.catalog)
        }
        whatIf = proposed.map { UsageBook(store: store, catalog: $0, businessZone: context.businessZone, everyCall: true) }
        whatIfClassifier = options.whatIf?.proposedTariffs.isEmpty == false
            ? proposed.map { CallClassifier(catalog: $0, businessZone: context.businessZone) } : nil
        let classifier = CallClassifier(catalog: catalog, businessZone: businessZone)
        parser = FileParser(layout: options.input.layout, switchZone: options.input.switchZone, classifier: classifier,
                            workers: options.tuning.workers, chunkLines: options.tuning.chunkLines)
        lookups = backend.lookups
        seen = SeenThisRun()
        step = StepTimer(logger: logger)
    }

    var dryRun: Bool { options.dryRun }
}

/// What a run remembers of the files it rated (a dry run's database never sees them).
final class SeenThisRun {
    var digests = Set<String>()
    lazy var uuids = SeenKeys(directory: FileManager.default.temporaryDirectory)
    /// Whether files of the run come after the one being rated (a dry run keeps its uuids for them only).
    var laterFiles = true
}

/// The single pass's connection for lookups (`OnePass`): the run's own is
/// in COPY meanwhile. Opened at its first use and again when lost; nil when
/// it cannot be (the file goes in two passes).
final class LookupConnection: LookupSource {
    private let connect: (() throws -> Connection)?
    private let logger: Logger
    private var connection: Connection?

    init(connect: (() throws -> Connection)?, logger: Logger) {
        self.connect = connect
        self.logger = logger
    }

    func get() -> RatingLookups? {
        open().map {
            RatingLookups(store: PostgresBillingStore(db: $0), partitions: PostgresPartitions(db: $0),
                          snapshot: PostgresSnapshotTransaction(db: $0))
        }
    }

    /// The connection, opened when there is none or it was lost.
    private func open() -> Connection? {
        if let connection, connection.isConnected { return connection }
        connection = nil
        guard let connect else { return nil }
        do {
            let c = try connect()
            // A lookup never waits long for a lock (one that another run's new partition queues behind this
            // file's COPY would wait for ever), nor runs long (a stop request cancels the run's own
            // connection, not this one): the file goes in two passes instead.
            try c.execute(script: "SET lock_timeout = '2s'; SET statement_timeout = '30s'; SET application_name = 'cdr-rater lookups'")
            connection = c
        } catch {
            logger.debug("no second connection for the single pass: \(error)")
        }
        return connection
    }
}
