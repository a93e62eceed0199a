import Foundation
import RatingRules
import CDRIngest

/// What a run was named to rate, as the file system has it: the regular
/// files among the paths and in the folders named (not hidden ones, not
/// subfolders), and what it leaves alone with a word to the operator: a
/// FIFO, device or socket, a dangling symbolic link, a link to a folder
/// inside a folder. Names are read as bytes (`readdir`), so a name that is
/// not UTF-8 is rated like any other; nothing is opened here.
public struct Inbox {
    /// Regular files and links to one: absolute, in byte order, each once.
    public private(set) var files: [RawPath] = []
    /// What is not rated, and why, in byte order.
    public private(set) var skipped: [(path: RawPath, reason: String)] = []

    /// A name that does not exist is a usage error; a folder that cannot be listed fails the run.
    public init(_ paths: [String]) throws {
        var files = Set<RawPath>(), skipped: [RawPath: String] = [:]
        for argument in paths {
            guard let path = RawPath(argument: argument) else {
                throw BillingError.usage("\(escapedName(argument.utf8)): two arguments whose names are not UTF-8 are spelt alike once repaired, "
                    + "so which file is which cannot be told: name the folder that holds them instead")
            }
            switch Inbox.kind(of: path) {
            case .missing: throw BillingError.usage("no such file or directory: \(path)")
            case .file: files.insert(path.standardized)
            case .folder, .linkToFolder:
                for name in try Inbox.names(in: path) where name.first != UInt8(ascii: ".") {
                    let entry = path.appending(name)
                    switch Inbox.kind(of: entry) {
                    case .file: files.insert(entry.standardized)
                    case .folder, .missing: break // a subfolder (an archive, say) is not the inbox's
                    case .linkToFolder:
                        skipped[entry.standardized] = "a symbolic link to a folder: folders inside a folder are not rated; "
                            + "name it on the command line to rate its files"
                    case .leftAlone(let reason): skipped[entry.standardized] = reason
                    }
                }
            case .leftAlone(let reason): skipped[path.standardized] = reason
            }
        }
        self.files = files.sorted()
        self.skipped = skipped.sorted { $0.key < $1.key }.map { (path: $0.key, reason: $0.value) }
    }

    private enum Kind: Equatable {
        case file, folder, linkToFolder, missing
        /// Not to be read: why, for the operator.
        case leftAlone(String)
    }

    /// What `path` is, its symbolic link (if it is one) followed.
    private static func kind(of path: RawPath) -> Kind {
        var link = stat(), info = stat()
        guard path.withCString({ lstat($0, &link) }) == 0 else { return .missing }
        let isLink = link.st_mode & S_IFMT == S_IFLNK
        if isLink {
            guard path.withCString({ stat($0, &info) }) == 0 else {
                return .leftAlone("a symbolic link to \(linkTarget(path)) that does not exist (dangling): skipped; "
                    + "restore its target or remove the link")
            }
        } else {
            info = link
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return isLink ? .linkToFolder : .folder
        default:
            return .leftAlone((isLink ? "a symbolic link to " : "") + NotARegularFile.kind(of: info.st_mode)
                + ", not a regular file: skipped, never read")
        }
    }

    /// Where a symbolic link points, as written in it.
    private static func linkTarget(_ path: RawPath) -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
        let n = path.withCString { p in buffer.withUnsafeMutableBytes { readlink(p, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) } }
        return n < 0 ? "?" : escapedName(buffer.prefix(n))
    }

    /// The names in a folder, as bytes.
    private static func names(in folder: RawPath) throws -> [[UInt8]] {
        guard let dir = folder.withCString({ opendir($0) }) else {
            throw BillingError("cannot list the folder \(folder): \(String(cString: strerror(errno))); nothing was rated. Check its permissions")
        }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else { break }
            names.append(withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) })
        }
        if errno != 0 {
            throw BillingError("cannot list the folder \(folder): \(String(cString: strerror(errno))); nothing was rated")
        }
        return names
    }
}
