import RatingCore

/// What the first reading of a file learns, without keeping its calls:
/// which lines are duplicates, the charged calls per usage row (for minute
/// allocation), the usage each row gains and the report's counts.
struct FileScan {
    var lines = 0
    var stored = 0
    var unmatched = 0
    var rejected = 0
    /// Line numbers of calls not to store: a uuid seen earlier in the file or already stored.
    var duplicateLines = Set<Int>()
    /// uuids of the file, first occurrences only (in a dry run, remembered for the next files).
    var uuids = Set<CDRKey>()
    var charges: [UsageKey: [Charge]] = [:]
    var added: [UsageKey: UsageTotals] = [:]
    /// Report counts per subscription number; minutes and cost are added once allocated.
    var tallies: [String: CallTally] = [:]

    var duplicates: Int { duplicateLines.count }

    /// Takes one chunk's calls in line order; `alreadyStored` says which uuids the
    /// database (or, in a dry run, an earlier file) already holds.
    mutating func take(_ calls: [ClassifiedCall], alreadyStored: ([String]) throws -> Set<CDRKey>) rethrows {
        var fresh: [ClassifiedCall] = []
        fresh.reserveCapacity(calls.count)
        for c in calls {
            if uuids.insert(CDRKey(c.record.uuid)).inserted { fresh.append(c) } else { duplicateLines.insert(c.record.lineNumber) }
        }
        let already = try alreadyStored(fresh.map(\.record.uuid))
        for c in fresh {
            if !already.isEmpty && already.contains(CDRKey(c.record.uuid)) {
                duplicateLines.insert(c.record.lineNumber)
                continue
            }
            stored += 1
            tallies[c.subscription?.number ?? RunReport.unmatchedLabel, default: CallTally()].count(c)
            guard let key = MinuteAllocator.usageKey(c) else { unmatched += 1; continue }
            added[key, default: UsageTotals()].add(c)
            if c.chargedMinutes > 0 {
                charges[key, default: []].append(Charge(start: c.record.start, uuid: c.record.uuid, minutes: c.chargedMinutes))
            }
        }
    }
}
