import Foundation
import RatingRules

/// A file's calls on disk, in line order, as its first reading classified
/// them: the second pass rates and stores them from here instead of reading,
/// inflating and parsing the file again, which would take a core from the
/// database server while it stores the rows. About 200 bytes a call, in the
/// temporary folder (TMPDIR); the file has no name from the start, so it goes
/// with the log or with the process, kill -9 too. Used by one thread at a
/// time: written by the first reading, then read once by the second pass.
public final class CallLog: @unchecked Sendable {
    private var writer: SpillWriter?
    private let readHandle: FileHandle
    /// Subscriptions by their place in `subscriptions`: a call refers to one by number.
    private var subscriptions: [Subscription] = []
    private var numbers: [ObjectIdentifier: Int32] = [:]

    public init(directory: URL = FileManager.default.temporaryDirectory) throws {
        let url = directory.appendingPathComponent("cdr-rater-calls-\(getpid())-\(UUID().uuidString).bin")
        writer = try SpillWriter(url)
        defer { try? FileManager.default.removeItem(at: url) }
        readHandle = try FileHandle(forReadingFrom: url)
    }

    deinit { try? readHandle.close() }

    /// Appends a chunk's calls (its rejects are the rejects file's business).
    public func append(_ chunk: ParsedChunk) {
        guard let w = writer else { preconditionFailure("CallLog: append after close") }
        w.int(chunk.bytesRead)
        w.int(Int64(chunk.lineCount))
        w.int(Int64(chunk.calls.count))
        for c in chunk.calls {
            let r = c.record
            w.int(Int64(r.lineNumber))
            w.int(r.start)
            w.int(r.end)
            w.byte(r.answer == nil ? 0 : 1)
            w.int(r.answer ?? 0)
            w.int(Int64(r.duration))
            w.int(Int64(r.billsec))
            let charge = c.charge
            w.int(Int64(charge?.billedSeconds ?? 0)); w.int(Int64(charge?.bundleSeconds ?? 0)); w.int(charge?.fullCost.units ?? 0)
            w.int(Int64(charge?.tariff?.version ?? -1)); w.int(Int64(charge?.tariff?.prefix ?? 0)); w.int(Int64(charge?.tariff?.billsec ?? 0))
            w.int(c.subscription.map(number) ?? -1)
            w.byte(UInt8(CallDirection.allCases.firstIndex(of: c.direction)!))
            w.byte(UInt8(CallType.allCases.firstIndex(of: c.type)!))
            w.byte(UInt8(CallStatus.allCases.firstIndex(of: c.status)!))
            w.byte(c.period == nil ? 0 : 1)
            w.int(c.period?.start ?? 0)
            w.int(c.period?.end ?? 0)
            w.text(r.uuid); w.text(r.callerId); w.text(r.destination); w.text(r.accountCode); w.text(r.hangupCause)
            w.text(r.callerReceived); w.text(r.destinationReceived); w.text(c.unmatchedReason)
            w.flushIfFull()
        }
    }

    private func number(_ s: Subscription) -> Int32 {
        if let n = numbers[ObjectIdentifier(s)] { return n }
        let n = Int32(subscriptions.count)
        subscriptions.append(s)
        numbers[ObjectIdentifier(s)] = n
        return n
    }

    /// Bytes of a call before its strings: fourteen 8-byte integers, the subscription's 4-byte number, 5 single bytes.
    static let fixedBytes = 8 * 14 + 4 + 5

    /// Ends the writing; throws when the temporary folder ran out of room.
    public func close() throws {
        try writer?.close()
        writer = nil
    }

    /// Every chunk appended, in order, as it was appended (without rejects).
    public func read(_ each: (ParsedChunk) throws -> Void) throws {
        precondition(writer == nil, "CallLog: read before close")
        let r = SpillReader(handle: readHandle)
        while true {
            try r.fill(atLeast: 24)
            if r.isAtEnd { return }
            var chunk = ParsedChunk()
            chunk.bytesRead = r.int(Int64.self)
            chunk.lineCount = Int(r.int(Int64.self))
            let count = Int(r.int(Int64.self))
            chunk.calls.reserveCapacity(count)
            for _ in 0 ..< count {
                try r.fill(atLeast: CallLog.fixedBytes)
                let line = Int(r.int(Int64.self)), start = r.int(Int64.self), end = r.int(Int64.self)
                let answered = r.byte() == 1, answer = r.int(Int64.self)
                let duration = Int(r.int(Int64.self)), billsec = Int(r.int(Int64.self))
                let billed = Int(r.int(Int64.self)), bundle = Int(r.int(Int64.self)), full = r.int(Int64.self)
                let version = Int32(r.int(Int64.self)), prefix = Int32(r.int(Int64.self)), priced = Int32(r.int(Int64.self))
                let charge = billed == 0 ? nil : CallCharge(billedSeconds: billed, bundleSeconds: bundle, fullCost: Money(units: full),
                                                             tariff: version < 0 ? nil : TariffRef(version: version, prefix: prefix, billsec: priced))
                let sub = Int(r.int(Int32.self))
                let direction = CallDirection.allCases[Int(r.byte())], type = CallType.allCases[Int(r.byte())]
                let status = CallStatus.allCases[Int(r.byte())]
                let hasPeriod = r.byte() == 1, periodStart = r.int(Int64.self), periodEnd = r.int(Int64.self)
                func text() throws -> String? {
                    try r.fill(atLeast: 4)
                    try r.fill(atLeast: 4 + r.textLength())
                    return r.text()
                }
                let uuid = try text() ?? "", callerId = try text() ?? "", destination = try text() ?? ""
                let accountCode = try text() ?? "", hangupCause = try text() ?? ""
                var record = CallDetailRecord(uuid: uuid, callerId: callerId, destination: destination, accountCode: accountCode,
                                              start: start, answer: answered ? answer : nil, end: end, duration: duration,
                                              billsec: billsec, hangupCause: hangupCause, lineNumber: line)
                record.callerReceived = try text() ?? ""
                record.destinationReceived = try text() ?? ""
                let unmatchedReason = try text()
                chunk.calls.append(ClassifiedCall(record: record, subscription: sub >= 0 ? subscriptions[sub] : nil,
                                                  direction: direction, type: type, status: status, charge: charge,
                                                  unmatchedReason: unmatchedReason,
                                                  period: hasPeriod ? UsagePeriod(start: periodStart, end: periodEnd) : nil))
            }
            try each(chunk)
        }
    }
}
