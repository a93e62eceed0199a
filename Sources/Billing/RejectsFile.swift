import Foundation
import RatingRules
import CDRIngest

/// A file's rejected lines as CSV (`line,reason,raw`), written as they come
/// to a temporary file and put in place only once the file's transaction
/// committed (`close()` before the commit, `putInPlace()` after it). The
/// temporary file stays open and locked (flock) until then, so that another
/// run's `repair` leaves it alone.
///
/// Rejected lines are personal data (phone numbers, caller names): the
/// files, temporary ones too, are 0600, and a rejects folder the run makes
/// is 0700 (one that exists keeps its mode).
final class RejectsFile {
    let target: String
    private var handle: FileHandle?
    private var buffer: [UInt8] = []
    private(set) var count = 0
    /// Written out, waiting for the commit to be put in place.
    private var closed = false
    /// Bytes written out so far (the buffer not included).
    private var written = 0
    /// Rejected lines past `maxBytes`: counted, not written.
    private(set) var leftOut = 0

    /// A rejects file stops at about this size (a small gzip of junk can
    /// expand to many times it): later rejected lines are counted (the
    /// ledger and the report have them all) and a last line says how many
    /// were left out.
    static let maxBytes = 10 << 20

    /// `cdrName`: the CDR file's name, as shown (escaped).
    init(directory: String, cdrName: String, digest: String) {
        let name = cdrName + "." + digest.prefix(8) + ".rejects.csv"
        target = (directory as NSString).appendingPathComponent(name)
    }

    private var temporary: String { target + ".tmp" }

    func append(_ r: RejectedLine) throws {
        if handle == nil { try create() }
        count += 1
        guard leftOut == 0 else { leftOut += 1; return }
        let start = buffer.count
        buffer += Array("\(r.lineNumber),".utf8)
        quote(Array(r.reason.utf8))
        buffer.append(UInt8(ascii: ","))
        quote(r.raw.filter { $0 != 0x0A && $0 != 0x0D })
        buffer.append(0x0A)
        if written + buffer.count > RejectsFile.maxBytes {
            buffer.removeSubrange(start...)
            leftOut = 1
        }
        if buffer.count > 1 << 20 { try flush() }
    }

    /// Writes out the temporary file; returns where it will be put (nil when
    /// there was nothing to reject). The ledger records that path.
    func close() throws -> String? {
        guard handle != nil else { return nil }
        guard !closed else { return target }
        if leftOut > 0 {
            let note = "\(leftOut) more rejected line(s) left out: a rejects file stops at \(RejectsFile.maxBytes >> 20) MiB; the ledger counts them all"
            buffer += Array(",\"\(note)\",\"\"\n".utf8)
        }
        try flush()
        closed = true
        return target
    }

    /// Puts the file in place although nothing of its CDR file is stored (a
    /// file that failed as "mostly not CDRs"), for a person to look at; its path.
    func keep() throws -> String? {
        guard let path = try close() else { return nil }
        try putInPlace()
        return path
    }

    /// Puts the file in place, once the file's transaction committed.
    func putInPlace() throws {
        guard closed else { return }
        defer { unlock() }
        try RejectsFile.rename(temporary, to: target)
        closed = false
    }

    private func unlock() {
        try? handle?.close() // lets go of the flock too
        handle = nil
    }

    static func rename(_ from: String, to target: String) throws {
        _ = try? FileManager.default.removeItem(atPath: target)
        do { try FileManager.default.moveItem(atPath: from, toPath: target) } catch {
            throw BillingError("cannot put the rejects file in place at \(escapedName(target.utf8)): \(error.localizedDescription)")
        }
    }

    /// Checks, before anything is read, that rejects can be written to `directory` (made if missing).
    static func checkWritable(_ directory: String) throws {
        let probe = (directory as NSString).appendingPathComponent(".cdr-rater-probe-\(getpid())")
        do {
            try makeFolder(directory)
            guard FileManager.default.createFile(atPath: probe, contents: Data(), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteNoPermission)
            }
            try FileManager.default.removeItem(atPath: probe)
        } catch {
            throw BillingError("the rejects folder \(escapedName(directory.utf8)) cannot be written (\(error.localizedDescription)); "
                + "nothing was read. Fix its permissions or give --rejects-dir")
        }
    }

    /// Makes the rejects folder, 0700, when it does not exist (its parents as the umask has them).
    static func makeFolder(_ directory: String) throws {
        var info = stat()
        if stat(directory, &info) == 0 { return }
        let parent = (directory as NSString).deletingLastPathComponent
        if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        if mkdir(directory, 0o700) == 0 {
            chmod(directory, 0o700) // whatever the umask
        } else if errno != EEXIST { // another run made it meanwhile
            throw BillingError("cannot create the rejects folder \(escapedName(directory.utf8)): \(String(cString: strerror(errno)))")
        }
    }

    /// Repairs what a run killed between a commit and putting a rejects file in
    /// place left: a temporary file whose file committed is put in place, any
    /// other (its file never committed) removed.
    static func repair(_ directory: String, committed: (String) throws -> Bool) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasSuffix(".rejects.csv.tmp") {
            let temporary = (directory as NSString).appendingPathComponent(name)
            // Locked: a run rating that file now (the lock goes when its writer does, kill -9 included).
            guard let probe = FileHandle(forReadingAtPath: temporary) else { continue }
            defer { try? probe.close() }
            guard flock(probe.fileDescriptor, LOCK_EX | LOCK_NB) == 0 else { continue }
            let target = String(temporary.dropLast(".tmp".count))
            if try committed(target) { try rename(temporary, to: target) } else { try? FileManager.default.removeItem(atPath: temporary) }
        }
    }

    /// Removes the temporary file (the file's transaction did not commit).
    func discard() {
        guard handle != nil else { return }
        try? FileManager.default.removeItem(atPath: temporary)
        unlock()
        closed = false
    }

    private func create() throws {
        try RejectsFile.makeFolder((target as NSString).deletingLastPathComponent)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw BillingError("cannot write the rejects file \(escapedName(temporary.utf8)): \(String(cString: strerror(errno)))")
        }
        let h = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        // Locked before it is emptied: one another run is writing stays as it is.
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            try? h.close()
            throw BillingError("the rejects file \(escapedName(temporary.utf8)) is being written by another cdr-rater run")
        }
        guard ftruncate(fd, 0) == 0, fchmod(fd, 0o600) == 0 else {
            try? h.close()
            throw BillingError("cannot write the rejects file \(escapedName(temporary.utf8)): \(String(cString: strerror(errno)))")
        }
        handle = h
        buffer = Array("line,reason,raw\n".utf8)
    }

    private func flush() throws {
        written += buffer.count
        do { try handle?.write(contentsOf: buffer) } catch {
            throw BillingError("cannot write the rejects file \(escapedName(temporary.utf8)): \(error.localizedDescription)")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    private func quote(_ bytes: [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        for b in bytes { buffer.append(b); if b == UInt8(ascii: "\"") { buffer.append(b) } }
        buffer.append(UInt8(ascii: "\""))
    }
}
