import Foundation

/// Where the SQL the binary runs lives: `Migrations/` and `Seeds/`.
///
/// Under `$CDR_RATER_HOME` when it is set (and only there); else beside the
/// binary (the folder of the executable, with symlinks resolved): in that
/// folder itself, in its `../share/cdr-rater` (an install such as
/// /usr/local/bin/cdr-rater with /usr/local/share/cdr-rater/Migrations), or,
/// for a binary `swift build` made in a checkout, in the checkout above
/// `.build/`. Never the working directory or its parents: a `Seeds/` left in
/// a folder an operator happens to run from would run as SQL.
public enum ProjectFiles {
    public struct Missing: OperatorFacingError, CustomStringConvertible {
        public let folder: String
        public let searched: [String]
        public var description: String {
            "cannot find the \(folder)/ folder (looked in \(searched.joined(separator: ", "))): "
                + "set CDR_RATER_HOME to the folder that holds Migrations/ and Seeds/"
        }
        public var exitCode: Int32 { 1 }
    }

    public static func folder(_ name: String) throws -> URL {
        let roots = searchRoots(environment: ProcessInfo.processInfo.environment, executable: executable())
        for root in roots {
            let candidate = root.appendingPathComponent(name)
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), isDir.boolValue { return candidate }
        }
        throw Missing(folder: name, searched: roots.map { $0.appendingPathComponent(name).path })
    }

    /// The folders that may hold `Migrations/` and `Seeds/`, in order.
    static func searchRoots(environment: [String: String], executable: URL?) -> [URL] {
        if let home = environment["CDR_RATER_HOME"], !home.isEmpty {
            return [URL(fileURLWithPath: home).standardizedFileURL]
        }
        guard let folder = executable?.deletingLastPathComponent().standardizedFileURL else { return [] }
        var roots = [folder, folder.appendingPathComponent("../share/cdr-rater").standardizedFileURL]
        let parts = folder.pathComponents
        if let build = parts.lastIndex(of: ".build"), build > 0 {
            roots.append(URL(fileURLWithPath: NSString.path(withComponents: Array(parts[..<build]))))
        }
        return roots
    }

    /// The running executable, symlinks resolved: /proc/self/exe on Linux; never a
    /// name relative to the working directory (argv[0] of a command found on PATH).
    static func executable() -> URL? {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), target.hasPrefix("/") {
            return URL(fileURLWithPath: target)
        }
        guard let url = Bundle.main.executableURL, url.path.hasPrefix("/") else { return nil }
        return url.resolvingSymlinksInPath()
    }

    /// Reads a text file, with an error naming it.
    static func read(_ url: URL) throws -> String {
        do { return try String(contentsOf: url, encoding: .utf8) } catch {
            throw BillingError("cannot read \(url.path): \(error.localizedDescription)")
        }
    }
}
