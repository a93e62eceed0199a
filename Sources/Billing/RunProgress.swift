import Foundation
import RatingCore

/// How far a run is, for the live progress line: files, lines, compressed
/// bytes read of the total, CDRs/s, ETA. Updated by the rating threads, read
/// by the printer's timer; every access takes the lock.
public final class RunProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var filesTotal = 0, filesDone = 0
    private var currentFile = ""
    private var bytesTotal: Int64 = 0, bytesBefore: Int64 = 0
    /// The current file's bytes read by its first reading and second pass.
    private var firstReading: Int64 = 0, secondReading: Int64 = 0
    private var lines = 0
    /// Readings per file: 2 for a full run (plan, then COPY), 1 for a dry run.
    private var readings: Int64 = 2
    private var started = Date()

    public init() {}

    func begin(files: [RawPath], dryRun: Bool) {
        let sizes = files.map(fileSize)
        lock.lock(); defer { lock.unlock() }
        filesTotal = files.count
        bytesTotal = sizes.reduce(0, +)
        readings = dryRun ? 1 : 2
        started = Date()
    }

    /// `name`: the file's name, as shown.
    func startFile(_ name: String) {
        lock.lock(); defer { lock.unlock() }
        currentFile = name
        firstReading = 0
        secondReading = 0
    }

    /// A chunk of the first reading (`second` false) or of the second was taken.
    func read(bytes: Int64, lines: Int, second: Bool) {
        lock.lock(); defer { lock.unlock() }
        if second { secondReading = bytes } else { firstReading = bytes }
        if second || readings == 1 { self.lines += lines }
    }

    /// A chunk of a file rated in one pass (read once, its calls sent to COPY as they are read).
    func readInOnePass(bytes: Int64, lines: Int) {
        lock.lock(); defer { lock.unlock() }
        firstReading = bytes
        secondReading = bytes
        self.lines += lines
    }

    func finishFile(size: Int64) {
        lock.lock(); defer { lock.unlock() }
        filesDone += 1
        bytesBefore += size
        firstReading = 0
        secondReading = 0
    }

    /// The progress line, e.g. "file 2/5 b.csv.gz: 1,234,567 lines, 45.1 of 120.0 MB read, 38,500 CDRs/s, ETA 0:01:12".
    public func line(now: Date = Date()) -> String {
        lock.lock(); defer { lock.unlock() }
        let done = Double(bytesBefore) + Double(firstReading + secondReading) / Double(readings)
        let fraction = bytesTotal > 0 ? min(1, done / Double(bytesTotal)) : 0
        let elapsed = now.timeIntervalSince(started)
        let rate = elapsed > 0 ? Int(Double(lines) / elapsed) : 0
        var eta = "--"
        if fraction > 0.001 {
            let left = Int(elapsed / fraction - elapsed)
            eta = String(format: "%d:%02d:%02d", left / 3600, left / 60 % 60, left % 60)
        }
        let mb = { (b: Double) in String(format: "%.1f", b / 1_000_000) }
        let file = filesDone < filesTotal ? " \(currentFile)" : ""
        return "file \(min(filesDone + 1, filesTotal))/\(filesTotal)\(file): \(grouped(lines)) lines, "
            + "\(mb(done)) of \(mb(Double(bytesTotal))) MB read, \(grouped(rate)) CDRs/s, ETA \(eta)"
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
