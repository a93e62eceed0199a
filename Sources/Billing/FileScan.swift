import Foundation
import RatingRules
import CDRIngest
import Reports

/// What the first reading of a file learns, in memory that does not grow
/// with the file: which lines are duplicates, the usage each row gains, the
/// charged calls that can hold included minutes (`BatchCharges`) and the
/// report's counts.
///
/// A line's uuid can repeat anywhere in a file: `take` counts each call as
/// it comes, as if none were a duplicate, and keeps its few fields in a
/// `CallSorter` (sorted runs on disk past `runLength` calls); `finish` walks
/// them in uuid order, where the first line of each uuid comes first and the
/// repeats are the duplicates, and counts the file again without them only
/// when it has some.
public final class FileScan {
    private(set) var stored = 0
    private(set) var unmatched = 0
    var rejected = 0
    /// Lines not to store: a uuid seen on an earlier line, or already stored.
    private(set) var duplicateLines = DuplicateLines()
    private(set) var charges: [UsageKey: BatchCharges] = [:]
    private(set) var added: [UsageKey: UsageTotals] = [:]
    /// Report counts per subscription number; minutes and cost are added once allocated.
    var tallies: [String: CallTally] = [:]
    var duplicates: Int { duplicateLines.count }
    /// Months (business zone) the stored calls start in, as year x 12 + month - 1: the partitions the file needs.
    private(set) var months = Set<Int32>()
    private let businessZone: ZoneRules
    /// Quarter hours (since 1970, UTC) seen and their months, by the quarter's low bits: a file's calls
    /// fall in a few thousand quarters, and the calendar a call was 2% of a dry run's instructions.
    private var quarterMonths = [(quarter: Int64, month: Int32)](repeating: (.min, 0), count: FileScan.quarterSlots)
    private static let quarterSlots = 4096

    private let sorter: CallSorter
    private let room: (UsageKey) throws -> Int
    private var subscriptions: [Subscription] = []
    private var subscriptionIndex: [String: Int32] = [:]
    /// The same index by the subscription object: a catalog's calls share one object a subscription, so a call
    /// hashes a pointer, not the id's text (a new object falls back to the id: equal ids, one index).
    /// `objects` keeps each object alive, so that no identifier is reused for another.
    private var indexByObject: [ObjectIdentifier: Int32] = [:]
    private var objects: [Subscription] = []

    /// `room` says how many included minutes a usage row has left before the file's calls.
    init(businessZone: ZoneRules, runLength: Int = FileScan.runLength, spillDirectory: URL = FileManager.default.temporaryDirectory,
         room: @escaping (UsageKey) throws -> Int) {
        sorter = CallSorter(runLength: runLength, directory: spillDirectory)
        self.businessZone = businessZone
        self.room = room
    }

    /// Notes the month a call starts in (`quarterMonths`, taken out of the object by `take`).
    private func noteMonth(_ start: Int64, _ quarterMonths: inout [(quarter: Int64, month: Int32)]) {
        // Zone offsets are whole quarter hours, so a quarter hour (UTC) lies in one local month.
        let quarter = start >= 0 ? start / 900 : (start - 899) / 900
        let slot = Int(truncatingIfNeeded: quarter) & (FileScan.quarterSlots - 1)
        if quarterMonths[slot].quarter != quarter {
            let local = businessZone.local(of: quarter * 900)
            quarterMonths[slot] = (quarter, Int32(local.year * 12 + local.month - 1))
            months.insert(quarterMonths[slot].month)
        }
    }

    /// Calls sorted in memory before a run goes to disk: 72 bytes each (most
    /// calls; sorted in place), so 18 MiB at most. 524,288 (36 MiB) put a full run
    /// into a populated month at 142 MiB peak RSS against 124 MiB, for no time
    /// a dry run or a full run of 1M lines showed (heaptrack, `/usr/bin/time`).
    public static let runLength = 1 << 18

    /// Takes one chunk's calls; `alreadyStored` says which of their uuids the database holds.
    /// Each call is counted as it comes, as if no line of the file were a duplicate (nearly
    /// always so): then `finish` has only the duplicates to find after the last line.
    /// `alreadyStored` makes the texts of the uuids it looks up (a dry run into an empty registry none).
    func take(_ calls: [ClassifiedCall], alreadyStored: ([ClassifiedCall]) throws -> Set<CDRKey>) throws {
        let already = try alreadyStored(calls)
        // The state in locals while the calls go in, put back at the end: each access to this object's
        // properties is checked at run time (exclusivity), several a call.
        var counts = self.counts, subscriptions = self.subscriptions, indexByObject = self.indexByObject
        var quarterMonths = self.quarterMonths
        (self.counts, self.subscriptions, self.indexByObject, self.quarterMonths) = (Counts(), [], [:], [])
        defer {
            (self.counts, self.subscriptions, self.indexByObject, self.quarterMonths) = (counts, subscriptions, indexByObject, quarterMonths)
        }
        let room = self.room
        // By index, each field read in place: a `for c in calls` copied and destroyed every whole call.
        for n in calls.indices {
            let key = calls[n].record.key
            if !already.isEmpty && already.contains(key) {
                duplicateLines.insert(calls[n].record.lineNumber)
                continue
            }
            var subscription: Int32 = -1
            if let sub = calls[n].subscription {
                if let i = indexByObject[ObjectIdentifier(sub)] { subscription = i } else if let i = subscriptionIndex[sub.id] {
                    subscription = i
                    indexByObject[ObjectIdentifier(sub)] = i
                    objects.append(sub)
                } else {
                    subscription = Int32(subscriptions.count)
                    subscriptionIndex[sub.id] = subscription
                    subscriptions.append(sub)
                    indexByObject[ObjectIdentifier(sub)] = subscription
                    objects.append(sub)
                }
            }
            let start = calls[n].record.start
            noteMonth(start, &quarterMonths)
            // `MinuteAllocator.usageKey(c)?.periodStart`, without making the key.
            let periodStart = calls[n].subscription != nil ? calls[n].period?.start ?? .min : .min
            let call = ScannedCall(key: key, line: UInt32(calls[n].record.lineNumber), start: start, subscription: subscription,
                                   periodStart: periodStart, charge: calls[n].charge, status: calls[n].status, type: calls[n].type)
            try sorter.add(call)
            try counts.count(call) { [subscriptions] slot in
                try room(UsageKey(subscriptionId: subscriptions[Int(slot.subscription)].id, periodStart: slot.periodStart))
            }
        }
    }

    /// Once the file is read: marks the repeats of each uuid (and, in a dry
    /// run, the uuids an earlier file had: `seen`) as duplicates, and counts
    /// and totals the rest. `stored`: uuids found stored after `take` (a dry
    /// run's lookups beside the reading), whose lines are duplicates too.
    /// `rememberSeen`: whether `seen` keeps this file's uuids for the run's later files.
    /// `known`: lines found duplicates by another scan of the same lines (a what-if's proposed side
    /// takes the run's own scan's, earlier files' uuids included).
    ///
    /// `take` counted every call; when a duplicate turns up, the calls are
    /// counted again in uuid order, the duplicates left out (the usage rows'
    /// rooms as `take` had them). A file with no duplicate is walked once, for
    /// its keys alone.
    func finish(seen: SeenKeys?, rememberSeen: Bool = true, stored: Set<CDRKey> = [], known: DuplicateLines? = nil) throws {
        // The run's only file (or its last after files with no calls) has nothing to check nor to keep.
        let seen = rememberSeen || seen?.holdsKeys == true ? seen : nil
        try seen?.startPass(remember: rememberSeen)
        var previous: CDRKey?
        // Counted into locals, put back once: each access to this object's properties is checked at run time
        // (exclusivity), which cost as much as the counting itself.
        var counts = self.counts, duplicates = duplicateLines, found = 0
        (self.counts, duplicateLines) = (Counts(), DuplicateLines())
        try sorter.drain(keep: true) { c in
            let repeated = c.key == previous
            previous = c.key
            if try repeated || (!stored.isEmpty && stored.contains(c.key)) || known?.contains(Int(c.line)) == true
                || seen?.check(c.key) == true {
                duplicates.insert(Int(c.line))
                found += 1
            }
        }
        if found > 0 {
            // The lines `take` found stored are not in the sorter: the set of all of them tells the calls to leave out.
            duplicates.seal()
            let counted = counts
            counts = Counts()
            try sorter.drain { c in
                if !duplicates.contains(Int(c.line)) { try counts.count(c) { try counted.room(of: $0) } }
            }
        } else {
            sorter.removeAll()
        }
        (self.stored, self.unmatched) = (self.stored + counts.stored, self.unmatched + counts.unmatched)
        (self.counts, duplicateLines) = (counts, duplicates)
        try seen?.endPass()
        fold()
        duplicateLines.seal()
        for key in charges.keys { charges[key]!.seal() }
    }

    /// Once every call is counted: the counts by subscription number, usage key and status into the
    /// report's tallies, `added` and `charges`.
    private func fold() {
        for (i, t) in counts.tallies.enumerated() where t.calls > 0 {
            let number = i == 0 ? RunReport.unmatchedLabel : subscriptions[i - 1].number
            tallies[number, default: CallTally()].add(t.tally)
        }
        for (slot, s) in counts.slots.enumerated() {
            let key = UsageKey(subscriptionId: subscriptions[Int(s.subscription)].id, periodStart: s.periodStart)
            added[key] = counts.added[slot] // one slot a key: a subscription has one index
            if let c = counts.charges[slot] { charges[key] = c }
        }
        counts = Counts()
    }

    private var counts = Counts()

    /// What `count` adds up, by the subscription's index and the period start
    /// (integers, cheap to hash) rather than by a subscription's number and id.
    private struct Counts {
        /// By subscription index + 1 (0: the calls that matched none).
        var tallies: [Tally] = []
        /// Usage rows by slot: their subscription index and period start, what they gain, their charged calls.
        var slots: [(subscription: Int32, periodStart: Int64)] = []
        var slotIndex: [Slot: Int] = [:]
        var added: [UsageTotals] = []
        var charges: [BatchCharges?] = []

        struct Slot: Hashable { let subscription: Int32, periodStart: Int64 }
        /// Calls counted, and of them those that count in no usage row.
        var stored = 0, unmatched = 0

        /// Counts one stored call (folded into the report's tallies, `added` and `charges` by `fold`).
        /// `room`: the included seconds a usage row has left, asked once a row, at its first charged call.
        mutating func count(_ c: ScannedCall, room: (Slot) throws -> Int) throws {
            stored += 1
            tally(subscription: Int(c.subscription), status: c.status, type: c.type)
            guard c.subscription >= 0, c.periodStart != .min else { unmatched += 1; return }
            let slot = slot(subscription: c.subscription, periodStart: c.periodStart)
            let charge = c.charge
            added[slot].add(billedSeconds: charge?.billedSeconds ?? 0, status: c.status, type: c.type)
            guard let charge else { return }
            if charges[slot] == nil {
                charges[slot] = BatchCharges(room: try room(Slot(subscription: c.subscription, periodStart: c.periodStart)))
            }
            charges[slot]!.add(Charge(start: c.start, key: c.key, price: charge))
        }

        /// The room a row was given when counted before (every row with a charged call of a file
        /// with duplicates was, for `take` counted the duplicates too).
        func room(of slot: Slot) throws -> Int {
            guard let i = slotIndex[slot], let c = charges[i] else {
                preconditionFailure("a usage row counted again that was not counted before")
            }
            return c.room
        }

        mutating func tally(subscription: Int, status: CallStatus, type: CallType) {
            while tallies.count <= subscription + 1 { tallies.append(Tally()) }
            tallies[subscription + 1].count(status: status, type: type)
        }

        /// By subscription index: the slot of its period `slot` gave last. A file's calls of one
        /// subscription are mostly of one period, and hashing the key a call was a tenth of `count`.
        var lastSlot: [(periodStart: Int64, index: Int)] = []

        mutating func slot(subscription: Int32, periodStart: Int64) -> Int {
            let s = Int(subscription)
            if s < lastSlot.count, lastSlot[s].periodStart == periodStart { return lastSlot[s].index }
            while lastSlot.count <= s { lastSlot.append((.min, -1)) }
            let key = Slot(subscription: subscription, periodStart: periodStart)
            if let i = slotIndex[key] { lastSlot[s] = (periodStart, i); return i }
            lastSlot[s] = (periodStart, slots.count)
            slotIndex[key] = slots.count
            slots.append((subscription, periodStart))
            added.append(UsageTotals())
            charges.append(nil)
            return slots.count - 1
        }
    }

    /// A `CallTally`'s counts by status and type, in arrays.
    private struct Tally {
        var calls = 0
        var byStatus = [Int](repeating: 0, count: CallStatus.allCases.count)
        var byType = [Int](repeating: 0, count: CallType.allCases.count)

        mutating func count(status: CallStatus, type: CallType) {
            calls += 1
            byStatus[status.ordinal] += 1
            byType[type.ordinal] += 1
        }

        var tally: CallTally {
            var t = CallTally()
            t.calls = calls
            for (i, n) in byStatus.enumerated() where n > 0 { t.byStatus[CallStatus.allCases[i]] = n }
            for (i, n) in byType.enumerated() where n > 0 { t.byType[CallType.allCases[i]] = n }
            return t
        }
    }
}

extension CallStatus {
    /// The position in `allCases` (declaration order), without searching it.
    var ordinal: Int {
        switch self {
        case .answered: 0
        case .no_answer: 1
        case .busy: 2
        case .failed: 3
        case .cancelled: 4
        }
    }
}

extension CallType {
    /// The position in `allCases` (declaration order), without searching it.
    var ordinal: Int {
        switch self {
        case .local: 0
        case .std: 1
        case .isd: 2
        case .mobile: 3
        case .toll_free: 4
        }
    }
}
