/// The CSV layouts the switches write, and how a parsed line becomes a
/// `CallDetailRecord`.
public enum CDRLayout: String, Sendable, CaseIterable {
    /// FreeSWITCH `mod_cdr_csv`, template `example`: 15 fields.
    case freeswitch
    /// Asterisk `cdr_csv` Master.csv: 16 fields, or 18 with uniqueid and userfield.
    case asterisk

    /// The layout a record with this many fields is written in, if any.
    public static func detect(fieldCount: Int) -> CDRLayout? {
        switch fieldCount {
        case 15: return .freeswitch
        case 16, 18: return .asterisk
        default: return nil
        }
    }

    var expectedFieldCounts: [Int] { self == .freeswitch ? [15] : [16, 18] }

    /// Field positions: caller, destination, account code, start, answer, end,
    /// duration, billsec, hangup cause / disposition, uuid (nil: hash of the line).
    struct Columns {
        let caller, destination, accountCode, start, answer, end, duration, billsec, cause: Int
        let uuid: Int?
    }

    func columns(fieldCount: Int) -> Columns {
        switch self {
        case .freeswitch:
            return Columns(caller: 1, destination: 2, accountCode: 12, start: 4, answer: 5, end: 6,
                           duration: 7, billsec: 8, cause: 9, uuid: 10)
        case .asterisk:
            return Columns(caller: 1, destination: 2, accountCode: 0, start: 9, answer: 10, end: 11,
                           duration: 12, billsec: 13, cause: 14, uuid: fieldCount == 18 ? 16 : nil)
        }
    }
}

/// One call as the switch reported it, numbers normalised, times as instants.
public struct CallDetailRecord: Sendable {
    /// The uuid as a key: a canonical uuid is two integers, not a String on the heap, which every call
    /// carried from the parse workers to the main thread and back to be freed (the text is made when read).
    public var key: CDRKey
    /// The uuid as written (a canonical uuid's text is the same made again from its key).
    public var uuid: String {
        get { key.text }
        set { key = CDRKey(newValue) }
    }
    public var callerId: String
    public var destination: String
    public var accountCode: String
    /// Epoch seconds.
    public var start: Int64
    public var answer: Int64?
    public var end: Int64
    public var duration: Int
    public var billsec: Int
    public var hangupCause: String
    public var lineNumber: Int
    /// The numbers as the switch wrote them, kept so `rerate` can match the call again.
    public var callerReceived = ""
    public var destinationReceived = ""

    public init(uuid: String, callerId: String, destination: String, accountCode: String, start: Int64, answer: Int64?,
                end: Int64, duration: Int, billsec: Int, hangupCause: String, lineNumber: Int,
                callerReceived: String = "", destinationReceived: String = "") {
        self.init(key: CDRKey(uuid), callerId: callerId, destination: destination, accountCode: accountCode, start: start,
                  answer: answer, end: end, duration: duration, billsec: billsec, hangupCause: hangupCause,
                  lineNumber: lineNumber, callerReceived: callerReceived, destinationReceived: destinationReceived)
    }

    public init(key: CDRKey, callerId: String, destination: String, accountCode: String, start: Int64, answer: Int64?,
                end: Int64, duration: Int, billsec: Int, hangupCause: String, lineNumber: Int,
                callerReceived: String = "", destinationReceived: String = "") {
        self.key = key
        self.callerId = callerId
        self.destination = destination
        self.accountCode = accountCode
        self.start = start
        self.answer = answer
        self.end = end
        self.duration = duration
        self.billsec = billsec
        self.hangupCause = hangupCause
        self.lineNumber = lineNumber
        self.callerReceived = callerReceived
        self.destinationReceived = destinationReceived
    }

    public var billableMinutes: Int { (billsec + 59) / 60 }
}

/// Why a line was rejected: one line of text for the operator and the rejects file.
public struct RejectReason: Error, Equatable, Sendable, CustomStringConvertible {
    public let text: String
    public init(_ text: String) { self.text = text }
    public var description: String { text }
}

/// Turns parsed CSV fields into a record, validating as it goes.
public struct RecordDecoder: Sendable {
    public let layout: CDRLayout
    public let zone: ZoneRules

    /// Lines before this one come before the file's first record of a known
    /// layout (auto-detection): they are rejected without naming a layout.
    public let layoutKnownFrom: Int

    public init(layout: CDRLayout, zone: ZoneRules, layoutKnownFrom: Int = 1) {
        self.layout = layout
        self.zone = zone
        self.layoutKnownFrom = layoutKnownFrom
    }

    public func decode(_ fields: CSVLine, rawLine: ArraySlice<UInt8>, lineNumber: Int) throws(RejectReason) -> CallDetailRecord {
        var memo = FieldMemo()
        return try decode(fields, rawLine: rawLine, lineNumber: lineNumber, memo: &memo)
    }

    /// `decode`, taking the strings of fields that repeat from line to line from `memo` (one memo per worker).
    public func decode(_ fields: CSVLine, rawLine: ArraySlice<UInt8>, lineNumber: Int,
                       memo: inout FieldMemo) throws(RejectReason) -> CallDetailRecord {
        guard lineNumber >= layoutKnownFrom else {
            throw RejectReason("wrong number of fields: \(fields.count); a freeswitch record has 15, an asterisk record 16 or 18")
        }
        guard layout.expectedFieldCounts.contains(fields.count) else {
            let expected = layout.expectedFieldCounts.map(String.init).joined(separator: " or ")
            throw RejectReason("wrong number of fields: \(fields.count), a \(layout.rawValue) record has \(expected)")
        }
        let c = layout.columns(fieldCount: fields.count)

        func time(_ i: Int, _ name: String, optional: Bool = false) throws(RejectReason) -> Int64? {
            // Over the field's bytes in place: a slice of the fields retains their buffer, and two workers' retains contend.
            let (empty, read) = fields.withField(i) { ($0.isEmpty, LocalDateTime(bytes: $0)) }
            if empty {
                if optional { return nil }
                throw RejectReason("\(name) is empty")
            }
            guard let local = read else {
                throw RejectReason("\(name) '\(String(decoding: fields[i].prefix(40), as: UTF8.self))' is not a date YYYY-MM-DD HH:MM:SS")
            }
            return zone.instant(of: local)
        }
        func count(_ i: Int, _ name: String) throws(RejectReason) -> Int {
            guard let v = fields.withField(i, { $0.nonNegativeInt }) else {
                throw RejectReason("\(name) '\(String(decoding: fields[i].prefix(40), as: UTF8.self))' is not a whole number of seconds >= 0")
            }
            guard v <= Int(Int32.max) else { throw RejectReason("\(name) \(v) is larger than \(Int32.max) seconds") }
            return v
        }
        func text(_ i: Int, _ name: String, max: Int) throws(RejectReason) -> String {
            let s = fields.string(i)
            // varchar(n) counts code points, not what Swift calls characters.
            guard s.utf8.count <= max || s.unicodeScalars.count <= max else { throw RejectReason("\(name) is longer than \(max) characters") }
            return s
        }

        let start = try time(c.start, "start time")!
        let answer = try time(c.answer, "answer time", optional: true)
        let end = try time(c.end, "end time")!
        let duration = try count(c.duration, "duration")
        let billsec = try count(c.billsec, "billsec")
        guard end >= start else { throw RejectReason("end time is before start time") }
        guard billsec <= duration else { throw RejectReason("billsec \(billsec) is greater than duration \(duration)") }
        if let answer, answer < start { throw RejectReason("answer time is before start time") }

        let key: CDRKey
        if let u = c.uuid, !fields.withField(u, { $0.isEmpty }) {
            // A canonical uuid (FreeSWITCH's) straight from its bytes, with no String made.
            if let k = fields.withField(u, { CDRKey.canonical($0) }) { key = k } else { key = CDRKey(try text(u, "uuid", max: 100)) }
        } else if layout == .asterisk {
            key = CDRKey("line-sha256:" + SHA256Digest.hex(of: rawLine)) // no uniqueid: a stable hash of the line
        } else {
            throw RejectReason("uuid is empty")
        }
        // Kinds of remembered fields: 0 caller, 1 destination (as received and normalised), 2 account code, 3 hangup cause.
        /// A number as received and normalised, both remembered by its bytes (made once within `max`).
        func number(_ i: Int, _ name: String, kind: Int) throws(RejectReason) -> (received: String, normalized: String) {
            if let pair = memo.number(fields, i, kind: kind) { return pair }
            let received = try text(i, name, max: 50)
            let pair = (received, NumberPlan.normalize(received))
            memo.remember(fields, i, kind: kind, pair)
            return pair
        }
        func repeating(_ i: Int, _ name: String, kind: Int) throws(RejectReason) -> String {
            if let pair = memo.number(fields, i, kind: kind) { return pair.received }
            let s = try text(i, name, max: 100)
            memo.remember(fields, i, kind: kind, (s, s))
            return s
        }
        let (callerReceived, caller) = try number(c.caller, "caller number", kind: 0)
        let (destinationReceived, destination) = try number(c.destination, "destination number", kind: 1)
        guard !destination.isEmpty else { throw RejectReason("destination number is empty") }
        guard caller.utf8.count <= 50, destination.utf8.count <= 50 else {
            throw RejectReason("number is longer than 50 characters")
        }
        return CallDetailRecord(
            key: key, callerId: caller, destination: destination,
            accountCode: try repeating(c.accountCode, "account code", kind: 2),
            start: start, answer: answer, end: end, duration: duration, billsec: billsec,
            hangupCause: try repeating(c.cause, "hangup cause", kind: 3), lineNumber: lineNumber,
            callerReceived: callerReceived, destinationReceived: destinationReceived)
    }
}

/// The strings of fields that repeat from line to line (account codes,
/// hangup causes, numbers that call or are called often), remembered by
/// their bytes: a field of at most 16 bytes equal to one remembered takes its
/// String (and, for a number, its normalised form) instead of making them
/// again, which was a third of decoding a line. A small table a kind of
/// field, one entry a slot, the last field of a slot wins: what it saves
/// depends on the file, what it gives never does.
public struct FieldMemo {
    /// A slot's bytes (count 0: empty slot), apart from its strings: comparing them retains nothing.
    private struct Key: Equatable { var a: UInt64, b: UInt64, count: Int }
    private static let slots = 64
    private var keys = [Key](repeating: Key(a: 0, b: 0, count: 0), count: 4 * FieldMemo.slots)
    private var strings = [(received: String, normalized: String)](repeating: ("", ""), count: 4 * FieldMemo.slots)

    public init() {}

    /// The field's bytes as two words (zero-filled) and its length; nil past 16 bytes or for an empty field.
    private static func words(_ fields: CSVLine, _ i: Int) -> (UInt64, UInt64, Int)? {
        fields.withField(i) { f -> (UInt64, UInt64, Int)? in
            guard f.count > 0, f.count <= 16, let base = f.baseAddress else { return nil }
            var w: (UInt64, UInt64) = (0, 0)
            withUnsafeMutableBytes(of: &w) { $0.baseAddress!.copyMemory(from: base, byteCount: f.count) }
            return (w.0, w.1, f.count)
        }
    }

    private static func slot(_ a: UInt64, _ b: UInt64, _ count: Int, kind: Int) -> Int {
        let h = (a &* 0x9E37_79B9_7F4A_7C15) ^ (b &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(count)
        return kind * slots + Int(truncatingIfNeeded: (h >> 58) & UInt64(slots - 1))
    }

    /// A remembered field of this kind with these bytes, if any.
    mutating func number(_ fields: CSVLine, _ i: Int, kind: Int) -> (received: String, normalized: String)? {
        guard let (a, b, n) = FieldMemo.words(fields, i) else { return nil }
        let s = FieldMemo.slot(a, b, n, kind: kind)
        guard keys[s] == Key(a: a, b: b, count: n) else { return nil }
        return strings[s]
    }

    mutating func remember(_ fields: CSVLine, _ i: Int, kind: Int, _ pair: (String, String)) {
        guard let (a, b, n) = FieldMemo.words(fields, i) else { return }
        let s = FieldMemo.slot(a, b, n, kind: kind)
        keys[s] = Key(a: a, b: b, count: n)
        strings[s] = pair
    }
}
