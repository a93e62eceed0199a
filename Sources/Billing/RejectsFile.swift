import Foundation
import RatingCore

/// A file's rejected lines as CSV (`line,reason,raw`), written as they come
/// to a temporary file and put in place only by `finish()`.
final class RejectsFile {
    let target: String
    private var handle: FileHandle?
    private var buffer: [UInt8] = []
    private(set) var count = 0

    init(directory: String, cdrPath: String, digest: String) {
        let name = (cdrPath as NSString).lastPathComponent + "." + digest.prefix(8) + ".rejects.csv"
        target = (directory as NSString).appendingPathComponent(name)
    }

    private var temporary: String { target + ".tmp" }

    func append(_ r: RejectedLine) throws {
        if handle == nil { try open() }
        count += 1
        buffer += Array("\(r.lineNumber),".utf8)
        quote(Array(r.reason.utf8))
        buffer.append(UInt8(ascii: ","))
        quote(r.raw.filter { $0 != 0x0A && $0 != 0x0D })
        buffer.append(0x0A)
        if buffer.count > 1 << 20 { try flush() }
    }

    /// Puts the file in place; nil when there was nothing to reject.
    func finish() throws -> String? {
        guard let handle else { return nil }
        try flush()
        try handle.close()
        self.handle = nil
        _ = try? FileManager.default.removeItem(atPath: target)
        do { try FileManager.default.moveItem(atPath: temporary, toPath: target) } catch {
            throw BillingError("cannot put the rejects file in place at \(target): \(error.localizedDescription)")
        }
        return target
    }

    /// Removes the temporary file (the file's transaction did not commit).
    func discard() {
        try? handle?.close()
        handle = nil
        try? FileManager.default.removeItem(atPath: temporary)
    }

    private func open() throws {
        let dir = (target as NSString).deletingLastPathComponent
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw BillingError("cannot create the rejects folder \(dir): \(error.localizedDescription)")
        }
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let h = FileHandle(forWritingAtPath: temporary) else {
            throw BillingError("cannot write the rejects file \(temporary)")
        }
        handle = h
        buffer = Array("line,reason,raw\n".utf8)
    }

    private func flush() throws {
        do { try handle?.write(contentsOf: buffer) } catch {
            throw BillingError("cannot write the rejects file \(temporary): \(error.localizedDescription)")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    private func quote(_ bytes: [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        for b in bytes { buffer.append(b); if b == UInt8(ascii: "\"") { buffer.append(b) } }
        buffer.append(UInt8(ascii: "\""))
    }
}
