import Logging
@testable import Billing

/// The advisory locks of one session, in sets: nothing else ever holds one
/// unless a test says so (`heldElsewhere`: a file another run is rating).
final class InMemoryLockService: LockService {
    private(set) var ratingLock: RunLock.Mode?
    private(set) var claims: Set<String> = []
    /// Each attempt's turn at the gate: alone or not.
    private(set) var gateTurns: [Bool] = []
    /// Claims other sessions hold, by sha256.
    var heldElsewhere: [String: [LockHolder]] = [:]

    func acquireRatingLock(_ mode: RunLock.Mode, wait: Double, command: String, logger: Logger, stop: StopRequest?) throws -> Double {
        precondition(ratingLock == nil, "the rating lock taken twice")
        ratingLock = mode
        return 0
    }

    func releaseRatingLock(_ mode: RunLock.Mode) { ratingLock = nil }

    func claimFile(sha256: String) throws -> Bool {
        guard heldElsewhere[sha256] == nil, claims.insert(sha256).inserted else { return false }
        return true
    }

    func releaseFile(sha256: String) { claims.remove(sha256) }

    func fileHolders(sha256: String) throws -> [LockHolder] { heldElsewhere[sha256] ?? [] }

    func endOrphans(_ holders: [LockHolder], what: String, logger: Logger) -> Bool { false }

    func enterGate(alone: Bool) throws { gateTurns.append(alone) }

    func leaveGate(alone: Bool) {}
}
