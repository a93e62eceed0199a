/// The days a band line holds (SPEC 3c, bands file `days`): `*` (every
/// day), weekdays and their ranges (`mon-fri`, `sat;sun`), days of every
/// year (`01-26`) and dates (`2024-12-25`), separated by `;`.
public struct BandDays: Equatable, Sendable {
    public private(set) var everyDay = false
    /// 0 Sunday ... 6 Saturday.
    public private(set) var weekdays: Set<Int> = []
    /// month * 100 + day.
    public private(set) var yearly: Set<Int> = []
    /// year * 10_000 + month * 100 + day.
    public private(set) var dates: Set<Int> = []

    static let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// Parses a `days` field; nil names what is wrong.
    public init(_ text: String) throws(BandError) {
        for raw in text.split(separator: ";", omittingEmptySubsequences: false) {
            let part = String(raw).trimmingSpaces().lowercased()
            if part == "*" { everyDay = true; continue }
            let ends = part.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            if ends.count <= 2, let first = BandDays.weekdayNames.firstIndex(of: ends[0]) {
                guard let last = BandDays.weekdayNames.firstIndex(of: ends.last ?? "") else { throw BandError("unknown weekday in '\(part)'") }
                var d = first
                while true { weekdays.insert(d); if d == last { break }; d = (d + 1) % 7 }
            } else if ends.count == 2, ends.allSatisfy({ $0.count == 2 }), let m = Int(ends[0]), let d = Int(ends[1]),
                      (1 ... 12).contains(m), (1 ... 31).contains(d) {
                yearly.insert(m * 100 + d)
            } else if ends.count == 3, ends[0].count == 4, let y = Int(ends[0]), let m = Int(ends[1]), let d = Int(ends[2]),
                      (1 ... 12).contains(m), (1 ... 31).contains(d) {
                dates.insert(y * 10_000 + m * 100 + d)
            } else {
                throw BandError("'\(part)' is not *, a weekday (mon), a range (mon-fri), a day of the year (01-26) or a date (2024-12-25)")
            }
        }
    }

    public func contains(_ day: LocalDateTime) -> Bool {
        everyDay || weekdays.contains(day.weekday) || yearly.contains(day.month * 100 + day.day)
            || dates.contains(day.year * 10_000 + day.month * 100 + day.day)
    }
}

/// A mistake in a bands file.
public struct BandError: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

/// A line of a tariff's bands file: `band,days,start,priority`.
public struct BandLine: Equatable, Sendable {
    public let band: String
    public let days: BandDays
    /// Seconds after midnight, in the business zone.
    public let start: Int
    public let priority: Int

    public init(band: String, days: BandDays, start: Int, priority: Int = 0) {
        (self.band, self.days, self.start, self.priority) = (band, days, start, priority)
    }
}

/// The time bands of a tariff (SPEC 3c): which band is in force when.
///
/// Bands are always resolved among the bands the rows being considered
/// name. Such a band runs from its start on its days until another of them
/// of equal or higher priority starts, or until midnight; of those in force
/// the highest priority wins, and among equals the one that started last.
/// The band `*` is in force all day, below every band of the file.
public struct TimeBands: Sendable {
    public static let always = "*"
    public let lines: [BandLine]
    /// Band ids: `*` is 0, the bands of `lines` follow in their order, each once.
    public var bandNames: [String] { tables.bandNames }
    /// Whether the lines fit a mask: then `inForce(_:at:day:)` resolves without allocating or hashing a name.
    public var byMask: Bool { tables.byMask }
    /// The lines as numbers, for the resolution by masks (at most 64 lines; past that, by names), in a class:
    /// a copy of the bands (with each copy of a deck) is one retain.
    private final class Compiled: Sendable {
        let bandNames: [String]
        let ids: [String: Int]
        let lineBand: [Int], lineStart: [Int], linePriority: [Int]
        let lineEveryDay: [Bool], lineWeekdays: [UInt8], lineYearly: [Set<Int>], lineDates: [Set<Int>]
        let byMask: Bool

        init(_ lines: [BandLine]) {
            var names = [TimeBands.always], ids = [TimeBands.always: 0]
            for l in lines where ids[l.band] == nil { ids[l.band] = names.count; names.append(l.band) }
            (bandNames, self.ids) = (names, ids)
            lineBand = lines.map { ids[$0.band]! }
            lineStart = lines.map(\.start)
            linePriority = lines.map(\.priority)
            lineEveryDay = lines.map(\.days.everyDay)
            lineWeekdays = lines.map { $0.days.weekdays.reduce(UInt8(0)) { $0 | 1 << UInt8($1) } }
            lineYearly = lines.map(\.days.yearly)
            lineDates = lines.map(\.days.dates)
            byMask = lines.count <= 64
        }
    }
    private let tables: Compiled

    /// The bands some rows name, as the lines of those bands and whether `*` is among them.
    public struct Among: Sendable, Hashable {
        public let lines: UInt64
        public let always: Bool
        /// Only `*`: the band in force never changes.
        public let onlyAlways: Bool
    }

    public init(_ lines: [BandLine]) {
        self.lines = lines
        tables = Compiled(lines)
    }

    /// The id of a band name; nil for a band no line holds (never in force) other than `*`.
    public func id(of band: String) -> Int? { tables.ids[band] }

    /// `names` as lines (`byMask` only).
    public func among(_ names: Set<String>) -> Among {
        var mask: UInt64 = 0
        if byMask { for (i, l) in lines.enumerated() where names.contains(l.band) { mask |= 1 << UInt64(i) } }
        return Among(lines: mask, always: names.contains(TimeBands.always), onlyAlways: names.count == 1 && names.contains(TimeBands.always))
    }

    /// The lines whose days hold the date of `local` (`byMask` only).
    public func day(_ local: LocalDateTime) -> UInt64 {
        let weekday = UInt8(1) << UInt8(local.weekday), md = local.month * 100 + local.day
        let ymd = local.year * 10_000 + md
        var mask: UInt64 = 0
        for i in lines.indices where tables.lineEveryDay[i] || tables.lineWeekdays[i] & weekday != 0
            || (!tables.lineYearly[i].isEmpty && tables.lineYearly[i].contains(md)) || (!tables.lineDates[i].isEmpty && tables.lineDates[i].contains(ymd)) {
            mask |= 1 << UInt64(i)
        }
        return mask
    }

    /// The id of the band in force at second `s` of a day whose lines are `day`, among `among`; -1 when none is.
    /// The same resolution as `inForce(among:at:)`, on numbers.
    public func inForce(_ among: Among, second s: Int, day: UInt64) -> Int {
        let today = among.lines & day
        var best = -1
        var rest = today
        while rest != 0 {
            let c = rest.trailingZeroBitCount
            rest &= rest - 1
            let cs = tables.lineStart[c], cp = tables.linePriority[c]
            guard cs <= s else { continue }
            var others = today, ended = false
            while others != 0 {
                let o = others.trailingZeroBitCount
                others &= others - 1
                if tables.linePriority[o] >= cp && tables.lineStart[o] > cs && tables.lineStart[o] <= s { ended = true; break }
            }
            if ended { continue }
            // The first of the highest (priority, start), as max(by:) keeps it.
            if best < 0 || (tables.linePriority[best], tables.lineStart[best]) < (cp, cs) { best = c }
        }
        if best >= 0 { return tables.lineBand[best] }
        return among.always ? 0 : -1
    }

    /// Seconds from second `s` of a day whose lines are `day` to the next moment the band in force among
    /// `among` may change: as `secondsToNextChange(among:at:)`, on numbers. `now`: the band in force at `s`.
    public func secondsToNextChange(_ among: Among, second s: Int, day: UInt64, now: Int) -> Int {
        let today = among.lines & day
        var after = s
        while true {
            // The next start of today's lines later than `after`.
            var next = Int.max, rest = today
            while rest != 0 {
                let o = rest.trailingZeroBitCount
                rest &= rest - 1
                if tables.lineStart[o] > after && tables.lineStart[o] < next { next = tables.lineStart[o] }
            }
            if next == Int.max { return 86_400 - s }
            if inForce(among, second: next, day: day) != now { return next - s }
            after = next
        }
    }

    /// The band in force at `local` among `names`; nil when none is.
    public func inForce(among names: Set<String>, at local: LocalDateTime) -> String? {
        let s = local.secondOfDay
        let today = lines.filter { names.contains($0.band) && $0.days.contains(local) }
        let running = today.filter { c in
            c.start <= s && !today.contains { o in o.priority >= c.priority && o.start > c.start && o.start <= s }
        }
        if let winner = running.max(by: { ($0.priority, $0.start) < ($1.priority, $1.start) }) { return winner.band }
        return names.contains(TimeBands.always) ? TimeBands.always : nil
    }

    /// Seconds from `local` to the next moment the band in force among
    /// `names` may change: a start of one of them later that day, or midnight.
    public func secondsToNextChange(among names: Set<String>, at local: LocalDateTime) -> Int {
        let s = local.secondOfDay
        let now = inForce(among: names, at: local)
        let starts = Set(lines.filter { names.contains($0.band) && $0.days.contains(local) && $0.start > s }.map(\.start)).sorted()
        for start in starts {
            var then = local
            then.setSecondOfDay(start)
            if inForce(among: names, at: then) != now { return start - s }
        }
        return 86_400 - s
    }
}

extension LocalDateTime {
    /// 0 Sunday ... 6 Saturday.
    public var weekday: Int {
        let days = Int((secondsAsIfUTC - Int64(secondOfDay)) / 86_400) // 1970-01-01 was a Thursday
        return ((days + 4) % 7 + 7) % 7
    }

    public var secondOfDay: Int { hour * 3600 + minute * 60 + second }

    mutating func setSecondOfDay(_ s: Int) { (hour, minute, second) = (s / 3600, s % 3600 / 60, s % 60) }
}
