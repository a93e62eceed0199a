import Foundation
import RatingRules
import CDRIngest

/// `--archive-dir`: where a file goes once its rating committed (or once it
/// is found already rated). Files are moved by their names' bytes, so a name
/// that is not UTF-8 keeps its name in the archive.
///
/// A symbolic link in the inbox: the data is archived, not the link. Its
/// target (every link followed) is moved into the archive under the link's
/// name (the name the ledger has), then the link is removed, which would
/// otherwise dangle.
enum Archive {
    /// Moves `path` (a link's target) into `directory` under `path`'s name, or a
    /// numbered name beside one already there (`name.1`, `name.2`, ...), and
    /// removes the link; returns where the data went.
    static func move(_ path: RawPath, into directory: String) throws -> RawPath {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw BillingError("cannot create the archive folder \(escapedName(directory.utf8)): \(error.localizedDescription)")
        }
        let folder = RawPath(directory)
        var target = folder.appending(path.nameBytes), n = 1
        while exists(target) {
            target = folder.appending(path.nameBytes + Array(".\(n)".utf8))
            n += 1
        }
        var info = stat()
        let isLink = path.withCString { lstat($0, &info) } == 0 && info.st_mode & S_IFMT == S_IFLNK
        try moveFile(isLink ? try resolved(path) : path, to: target)
        if isLink, path.withCString({ unlink($0) }) != 0 {
            throw BillingError("archived its target as \(target), but cannot remove the link: \(String(cString: strerror(errno)))")
        }
        return target
    }

    /// The file a symbolic link names, every link followed (realpath).
    private static func resolved(_ path: RawPath) throws -> RawPath {
        guard let real = path.withCString({ realpath($0, nil) }) else {
            throw BillingError("cannot follow it to its file: \(String(cString: strerror(errno)))")
        }
        defer { free(real) }
        return RawPath(bytes: Array(UnsafeBufferPointer(start: UnsafeRawPointer(real).assumingMemoryBound(to: UInt8.self), count: strlen(real))))
    }

    private static func exists(_ path: RawPath) -> Bool {
        var info = stat()
        return path.withCString { lstat($0, &info) } == 0
    }

    /// rename(2); across file systems, a copy (under a hidden name, synced, then renamed) and the original removed.
    private static func moveFile(_ from: RawPath, to target: RawPath) throws {
        let renamed = from.withCString { a in target.withCString { b in rename(a, b) } }
        if renamed == 0 { return }
        guard errno == EXDEV else { throw BillingError("cannot move it to \(target): \(String(cString: strerror(errno)))") }
        let partial = RawPath(bytes: Array(target.bytes.dropLast(target.nameBytes.count)) + Array(".".utf8) + target.nameBytes
            + Array(".partial".utf8))
        do {
            try copyFile(from, to: partial)
            guard partial.withCString({ a in target.withCString { b in rename(a, b) } }) == 0 else {
                throw BillingError("cannot move it to \(target): \(String(cString: strerror(errno)))")
            }
        } catch {
            _ = partial.withCString { unlink($0) }
            throw error
        }
        guard from.withCString({ unlink($0) }) == 0 else {
            throw BillingError("copied it to \(target) but cannot remove it from the inbox: \(String(cString: strerror(errno)))")
        }
    }

    /// Copies a regular file's bytes and permission bits; the copy is on disk (fsync) when this returns.
    private static func copyFile(_ from: RawPath, to target: RawPath) throws {
        let source = try openRegularFile(from)
        defer { try? source.close() }
        var info = stat()
        _ = fstat(source.fileDescriptor, &info)
        let fd = target.withCString { open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, info.st_mode & 0o7777) }
        guard fd >= 0 else { throw BillingError("cannot create \(target): \(String(cString: strerror(errno)))") }
        let copy = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            while let data = try source.read(upToCount: 1 << 20), !data.isEmpty { try copy.write(contentsOf: data) }
            try copy.synchronize()
            try copy.close()
        } catch {
            throw BillingError("cannot copy it to \(target): \(error.localizedDescription)")
        }
    }
}
