import Foundation

/// A wall-clock reading with no zone, as switches write it.
public struct LocalDateTime: Hashable, Sendable, Comparable {
    public var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
    }

    /// Parses `YYYY-MM-DD HH:MM:SS` (also with a `T`); nil for anything else
    /// or an impossible date such as February 30.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == 19 else { return nil }
        if let fields = bytes.withContiguousStorageIfAvailable({ LocalDateTime.fields($0) }) {
            // The same reading by index over contiguous bytes (a CDR field always is): a tenth of the instructions.
            guard let v = fields else { return nil }
            self.init(year: v.0, month: v.1, day: v.2, hour: v.3, minute: v.4, second: v.5)
            guard (1...12).contains(month), (1...Calendar.daysIn(year: year, month: month)).contains(day),
                  hour < 24, minute < 60, second < 60, year >= 1970 else { return nil }
            return
        }
        var values = (0, 0, 0, 0, 0, 0)
        var ok = true
        var i = 0
        for b in bytes {
            switch i {
            case 4, 7: ok = ok && b == UInt8(ascii: "-")
            case 10: ok = ok && (b == UInt8(ascii: " ") || b == UInt8(ascii: "T"))
            case 13, 16: ok = ok && b == UInt8(ascii: ":")
            default:
                guard b >= 0x30 && b <= 0x39 else { return nil }
                let d = Int(b - 0x30)
                switch i {
                case 0 ..< 4: values.0 = values.0 * 10 + d
                case 5 ..< 7: values.1 = values.1 * 10 + d
                case 8 ..< 10: values.2 = values.2 * 10 + d
                case 11 ..< 13: values.3 = values.3 * 10 + d
                case 14 ..< 16: values.4 = values.4 * 10 + d
                default: values.5 = values.5 * 10 + d
                }
            }
            i += 1
        }
        guard ok else { return nil }
        self.init(year: values.0, month: values.1, day: values.2, hour: values.3, minute: values.4, second: values.5)
        guard (1...12).contains(month), (1...Calendar.daysIn(year: year, month: month)).contains(day),
              hour < 24, minute < 60, second < 60, year >= 1970 else { return nil }
    }

    /// The six numbers of 19 bytes `YYYY-MM-DD HH:MM:SS` (or with a `T`), unchecked as a date; nil for any other shape.
    private static func fields(_ b: UnsafeBufferPointer<UInt8>) -> (Int, Int, Int, Int, Int, Int)? {
        guard b.count == 19, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b[10] == UInt8(ascii: " ") || b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":") else { return nil }
        var bad = false
        func digits(_ from: Int, _ count: Int) -> Int {
            var v = 0
            for i in from ..< from + count {
                let d = b[i] &- 0x30
                if d > 9 { bad = true }
                v = v * 10 + Int(d)
            }
            return v
        }
        let v = (digits(0, 4), digits(5, 2), digits(8, 2), digits(11, 2), digits(14, 2), digits(17, 2))
        return bad ? nil : v
    }

    /// Seconds since 1970-01-01 00:00 if this reading were UTC.
    public var secondsAsIfUTC: Int64 {
        Int64(Calendar.daysFromCivil(year, month, day)) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    init(secondsAsIfUTC s: Int64) {
        let days = Int(s >= 0 ? s / 86_400 : (s - 86_399) / 86_400)
        let rest = Int(s - Int64(days) * 86_400)
        let (y, m, d) = Calendar.civilFromDays(days)
        self.init(year: y, month: m, day: d, hour: rest / 3600, minute: rest % 3600 / 60, second: rest % 60)
    }

    public static func < (a: LocalDateTime, b: LocalDateTime) -> Bool { a.secondsAsIfUTC < b.secondsAsIfUTC }
}

extension Calendar {
    /// Howard Hinnant's days-from-civil: days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// A time zone's UTC offsets, precomputed so that conversions on the hot path
/// are a binary search with no locking. Immutable, safe to share between workers.
public struct ZoneRules: Sendable {
    public let identifier: String
    /// (instant in epoch seconds from which `offset` applies, offset in seconds), ascending.
    private let transitions: [(at: Int64, offset: Int64)]

    /// UTC: no offset ever.
    public static let utc = ZoneRules(fixedIdentifier: "UTC")

    private init(fixedIdentifier: String) {
        identifier = fixedIdentifier
        transitions = [(Int64.min, 0)]
    }

    /// IANA Area/Location names only (`Asia/Kolkata`), and `UTC`: Foundation
    /// also takes abbreviations, and `BST` or `IST` each mean more than one zone.
    public init?(identifier: String) {
        guard identifier == "UTC" || identifier.contains("/"), let zone = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        var list: [(Int64, Int64)] = [(Int64.min, Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: 0))))]
        var cursor = Date(timeIntervalSince1970: 0)
        let end = Date(timeIntervalSince1970: 4_102_444_800) // 2100-01-01
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), next < end {
            list.append((Int64(next.timeIntervalSince1970), Int64(zone.secondsFromGMT(for: next))))
            cursor = next
        }
        transitions = list
    }

    /// Offset from UTC in seconds at the instant `epoch`.
    public func offset(atUTC epoch: Int64) -> Int64 {
        var lo = 0, hi = transitions.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if transitions[mid].at <= epoch { lo = mid } else { hi = mid - 1 }
        }
        return transitions[lo].offset
    }

    /// The instant (epoch seconds) of a wall-clock reading in this zone. In a
    /// DST gap or overlap the earlier offset's reading wins.
    public func instant(of local: LocalDateTime) -> Int64 {
        let asUTC = local.secondsAsIfUTC
        // A zone with one offset since 1970 (UTC, Asia/Kolkata): what the searches below would find, without them.
        if transitions.count == 1 { return asUTC - transitions[0].offset }
        // The offsets in force around this reading (zones change at most once a day).
        let before = offset(atUTC: asUTC - 172_800), after = offset(atUTC: asUTC + 172_800)
        if offset(atUTC: asUTC - before) == before { return asUTC - before }
        if offset(atUTC: asUTC - after) == after { return asUTC - after }
        return asUTC - before // in a gap: read with the offset before the jump
    }

    /// The wall-clock reading of an instant in this zone.
    public func local(of epoch: Int64) -> LocalDateTime {
        LocalDateTime(secondsAsIfUTC: epoch + offset(atUTC: epoch))
    }
}

/// Formats an instant as a PostgreSQL timestamptz literal in UTC: `2024-10-05 04:30:00+00`.
public func postgresTimestamp(_ epoch: Int64) -> String {
    LocalDateTime(secondsAsIfUTC: epoch).text(suffix: "+00")
}

extension LocalDateTime {
    /// `YYYY-MM-DD HH:MM:SS`, the form `init?(bytes:)` reads.
    public var text: String { text(suffix: "") }

    /// `text` and then `suffix`: written byte by byte for a four-digit year (String
    /// interpolation of six numbers cost about 5,000 instructions, once per unmatched call).
    func text(suffix: StaticString) -> String {
        guard (1000 ... 9999).contains(year), (0 ... 99).contains(month), (0 ... 99).contains(day),
              (0 ... 99).contains(hour), (0 ... 99).contains(minute), (0 ... 99).contains(second) else {
            func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
            return "\(year)-\(two(month))-\(two(day)) \(two(hour)):\(two(minute)):\(two(second))" + suffix.description
        }
        let n = 19 + suffix.utf8CodeUnitCount
        return String(unsafeUninitializedCapacity: n) { out in
            func put(_ v: Int, _ at: Int, _ digits: Int) {
                var v = v
                for k in stride(from: at + digits - 1, through: at, by: -1) { out[k] = UInt8(0x30 + v % 10); v /= 10 }
            }
            put(year, 0, 4); out[4] = UInt8(ascii: "-"); put(month, 5, 2); out[7] = UInt8(ascii: "-"); put(day, 8, 2)
            out[10] = UInt8(ascii: " "); put(hour, 11, 2); out[13] = UInt8(ascii: ":"); put(minute, 14, 2)
            out[16] = UInt8(ascii: ":"); put(second, 17, 2)
            for k in 0 ..< suffix.utf8CodeUnitCount { out[19 + k] = suffix.utf8Start[k] }
            return n
        }
    }
}
