import ConcurrencyHelpers
import Foundation
import RatingRules

/// A dry run's lookups of every uuid, off the reading's thread: on the
/// run's second connection (`LookupSource`), in the run's own snapshot
/// (exported from its REPEATABLE READ transaction, so both see the same
/// stored calls: `RatingDatabase.exportSnapshot`, `SnapshotTransaction`),
/// on a thread of their own. The reading hands each chunk's
/// uuids over and goes on; what is found comes back once the file is read,
/// for `FileScan.finish` to mark those lines as duplicates, as the inline
/// lookup would have. Each lookup is a round trip to the server: done in
/// line, they held up the reading (a dry run's critical path) for as long
/// as the server took, about 5 ms per 5,000 uuids into an empty registry
/// and over 100 ms into one of a million.
struct SnapshotLookups {
    let side: RatingLookups
    /// The snapshot holds no stored call (a first run, a fresh database): nothing is looked up, for nothing
    /// can be found; the server's work per batch of 5,000 uuids (about 2.5 ms into an empty registry, 200
    /// batches per million lines) was a third of a dry run's CPU again, on the same two cores.
    var nothingStored = false

    /// `side` in the run's snapshot; nil when that cannot be had (a server in
    /// recovery exports none, say): the lookups then stay on the reading's thread.
    static func start(run: RatingDatabase, side: RatingLookups) -> SnapshotLookups? {
        do {
            guard let snapshot = try run.exportSnapshot(), try side.snapshot.begin(snapshot: snapshot) else { return nil }
            var lookups = SnapshotLookups(side: side)
            do { lookups.nothingStored = try side.snapshot.holdsNoCalls() } catch { _ = try? side.snapshot.end(); return nil }
            return lookups
        } catch {
            return nil
        }
    }

    /// Batches of uuids waiting for the lookup thread: back-pressure when the server is slower than the reading.
    static let queued = 8

    /// The lookup thread stopped on an error; the reading stops with it.
    private struct Stopped: Error {}

    /// Runs `read` (which hands uuids to `lookUp`, made when asked: not when nothing is stored) on this thread while the
    /// lookups run on another; returns what `read` returned and the uuids found
    /// stored. Ends the side connection's transaction (`start` began it).
    func around<T>(_ read: (_ lookUp: (_ uuids: () -> [String]) throws -> Void) throws -> T) throws -> (T, Set<CDRKey>) {
        if nothingStored {
            let result: T
            do { result = try read { _ in } } catch { _ = try? side.snapshot.end(); throw error }
            try side.snapshot.end()
            return (result, [])
        }
        let batches = BoundedHandOff<[String]>(capacity: SnapshotLookups.queued)
        let failure = Locked<(any Error)?>(nil)
        // The side's store is used by the lookup thread alone until the join: the one unchecked hand-over here.
        nonisolated(unsafe) let store = side.store
        let (found, result): (Set<CDRKey>, T)
        do {
            (found, result) = try ProducerThread.run(produce: { () -> Set<CDRKey> in
                var found = Set<CDRKey>()
                do {
                    while let uuids = batches.take() { found.formUnion(try store.storedUUIDs(uuids)) }
                } catch {
                    failure.withLock { $0 = error }
                    batches.cancel() // a reading waiting for room stops
                }
                return found
            }, consume: {
                defer { batches.finish() }
                return try read { uuids in
                    guard batches.put(uuids()) else { throw Stopped() }
                }
            })
        } catch is Stopped {
            _ = try? side.snapshot.end()
            throw failure.withLock { $0 } ?? Stopped()
        } catch {
            _ = try? side.snapshot.end()
            throw error
        }
        try side.snapshot.end()
        if let error = failure.withLock({ $0 }) { throw error }
        return (result, found)
    }
}
