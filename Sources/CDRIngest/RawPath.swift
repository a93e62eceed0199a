import Foundation
import RatingRules

/// A file's path as the file system spells it: bytes, not necessarily
/// UTF-8 (a switch may write Latin-1 names). Files are opened by these
/// bytes; the operator sees the path escaped (`escapedName`), which is
/// also what the ledger and the reports record.
public struct RawPath: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The path's bytes, without a terminating NUL.
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(_ path: String) { bytes = Array(path.utf8) }

    /// A path named on the command line, as the shell passed its bytes.
    /// `CommandLine.arguments` repairs bytes that are not UTF-8 (each becomes
    /// U+FFFD), which names no file; such an argument is found again in the
    /// raw argv by its repaired spelling. Nil when two different arguments
    /// share that spelling (`caf\xe9.csv` and `caf\xe8.csv`): which is which
    /// cannot be told, and taking one twice would leave the other unrated.
    public init?(argument: String) {
        guard argument.unicodeScalars.contains("\u{FFFD}") else { self.init(argument); return }
        var found: Set<[UInt8]> = []
        for i in 0 ..< Int(CommandLine.argc) {
            guard let p = CommandLine.unsafeArgv[i] else { continue }
            let raw = Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p)))
            if String(decoding: raw, as: UTF8.self) == argument { found.insert(raw) }
        }
        guard found.count <= 1 else { return nil }
        self.init(bytes: found.first ?? Array(argument.utf8))
    }

    /// The path as shown to a person: `escapedName` of its bytes.
    public var shown: String { escapedName(bytes) }
    public var description: String { shown }

    /// The last component's bytes (the file's name).
    public var nameBytes: [UInt8] {
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return bytes }
        return Array(bytes[(slash + 1)...])
    }

    /// The file's name, as shown.
    public var name: String { escapedName(nameBytes) }

    /// This path with `name` (a component's bytes) appended.
    public func appending(_ name: [UInt8]) -> RawPath {
        RawPath(bytes: bytes.last == UInt8(ascii: "/") ? bytes + name : bytes + [UInt8(ascii: "/")] + name)
    }

    /// Absolute (from the working directory) and without `.`, `..` or
    /// repeated slashes, so that two spellings of one path compare equal;
    /// symbolic links are not resolved.
    public var standardized: RawPath {
        var base: [UInt8] = []
        if bytes.first != UInt8(ascii: "/"), let cwd = getcwd(nil, 0) {
            base = Array(UnsafeBufferPointer(start: UnsafeRawPointer(cwd).assumingMemoryBound(to: UInt8.self), count: strlen(cwd)))
            free(cwd)
        }
        var parts: [ArraySlice<UInt8>] = []
        for part in (base + [UInt8(ascii: "/")] + bytes).split(separator: UInt8(ascii: "/")) {
            if part.elementsEqual(".".utf8) { continue }
            if part.elementsEqual("..".utf8) { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return RawPath(bytes: parts.isEmpty ? [UInt8(ascii: "/")] : parts.flatMap { [UInt8(ascii: "/")] + $0 })
    }

    /// Calls `body` with the path as a C string, for the system calls.
    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try (bytes + [0]).withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    /// Byte order: what `ls` shows in the C locale.
    public static func < (a: RawPath, b: RawPath) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}
