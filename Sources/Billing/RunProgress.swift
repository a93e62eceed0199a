import ConcurrencyHelpers
import Foundation
import CDRIngest

/// How far a run is, for the live progress line: files, lines, compressed
/// bytes read of the total, CDRs/s, ETA. Updated by the rating threads, read
/// by the printer's timer, so it lives in a `Locked`.
public final class RunProgress: Sendable {
    private struct State {
        var filesTotal = 0, filesDone = 0
        var currentFile = ""
        var bytesTotal: Int64 = 0, bytesBefore: Int64 = 0
        /// The current file's bytes read by its first reading and second pass.
        var firstReading: Int64 = 0, secondReading: Int64 = 0
        var lines = 0
        /// Readings per file: 2 for a full run (plan, then COPY), 1 for a dry run.
        var readings: Int64 = 2
        var started = Date()
    }
    private let state = Locked(State())

    public init() {}

    func begin(files: [RawPath], dryRun: Bool) {
        let sizes = files.map(fileSize)
        state.withLock { s in
            s.filesTotal = files.count
            s.bytesTotal = sizes.reduce(0, +)
            s.readings = dryRun ? 1 : 2
            s.started = Date()
        }
    }

    /// `name`: the file's name, as shown.
    func startFile(_ name: String) {
        state.withLock { s in
            s.currentFile = name
            s.firstReading = 0
            s.secondReading = 0
        }
    }

    /// A chunk of the first reading (`second` false) or of the second was taken.
    func read(bytes: Int64, lines: Int, second: Bool) {
        state.withLock { s in
            if second { s.secondReading = bytes } else { s.firstReading = bytes }
            if second || s.readings == 1 { s.lines += lines }
        }
    }

    /// A chunk of a file rated in one pass (read once, its calls sent to COPY as they are read).
    func readInOnePass(bytes: Int64, lines: Int) {
        state.withLock { s in
            s.firstReading = bytes
            s.secondReading = bytes
            s.lines += lines
        }
    }

    func finishFile(size: Int64) {
        state.withLock { s in
            s.filesDone += 1
            s.bytesBefore += size
            s.firstReading = 0
            s.secondReading = 0
        }
    }

    /// The progress line, e.g. "file 2/5 b.csv.gz: 1,234,567 lines, 45.1 of 120.0 MB read, 38,500 CDRs/s, ETA 0:01:12".
    public func line(now: Date = Date()) -> String {
        let s = state.withLock { $0 }
        let done = Double(s.bytesBefore) + Double(s.firstReading + s.secondReading) / Double(s.readings)
        let fraction = s.bytesTotal > 0 ? min(1, done / Double(s.bytesTotal)) : 0
        let elapsed = now.timeIntervalSince(s.started)
        let rate = elapsed > 0 ? Int(Double(s.lines) / elapsed) : 0
        var eta = "--"
        if fraction > 0.001 {
            let left = Int(elapsed / fraction - elapsed)
            eta = String(format: "%d:%02d:%02d", left / 3600, left / 60 % 60, left % 60)
        }
        let mb = { (b: Double) in String(format: "%.1f", b / 1_000_000) }
        let file = s.filesDone < s.filesTotal ? " \(s.currentFile)" : ""
        return "file \(min(s.filesDone + 1, s.filesTotal))/\(s.filesTotal)\(file): \(grouped(s.lines)) lines, "
            + "\(mb(done)) of \(mb(Double(s.bytesTotal))) MB read, \(grouped(rate)) CDRs/s, ETA \(eta)"
    }

    /// 1234567 -> "1,234,567".
    private func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}
