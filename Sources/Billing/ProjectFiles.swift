import Foundation

/// Where the SQL the binary runs lives: `Migrations/` and `Seeds/`.
///
/// Looked up, in order, under `$CDR_RATER_HOME`, the working directory and
/// its parents, and the executable's directory and its parents, so that both
/// `swift run` in a checkout and an installed binary find them.
public enum ProjectFiles {
    public struct Missing: Error, CustomStringConvertible {
        public let folder: String
        public var description: String {
            "cannot find the \(folder)/ folder: run cdr-rater from the project folder or set CDR_RATER_HOME to it"
        }
    }

    public static func folder(_ name: String) throws -> URL {
        var roots: [URL] = []
        if let home = ProcessInfo.processInfo.environment["CDR_RATER_HOME"], !home.isEmpty {
            roots.append(URL(fileURLWithPath: home))
        } else {
            roots += ancestors(of: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            roots += ancestors(of: URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        for root in roots {
            let candidate = root.appendingPathComponent(name)
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), isDir.boolValue { return candidate }
        }
        throw Missing(folder: name)
    }

    private static func ancestors(of url: URL) -> [URL] {
        var out: [URL] = []
        var u = url.standardizedFileURL
        for _ in 0 ..< 8 {
            out.append(u)
            let parent = u.deletingLastPathComponent()
            if parent.path == u.path { break }
            u = parent
        }
        return out
    }

    /// Reads a text file, with an error naming it.
    static func read(_ url: URL) throws -> String {
        do { return try String(contentsOf: url, encoding: .utf8) } catch {
            throw BillingError("cannot read \(url.path): \(error.localizedDescription)")
        }
    }
}

/// An expected failure with a message for the operator (no stack trace).
public struct BillingError: Error, CustomStringConvertible {
    public let message: String
    /// A mistake in the command line rather than a failure at run time (exit code 2).
    public let isUsage: Bool
    public init(_ message: String, isUsage: Bool = false) {
        self.message = message
        self.isUsage = isUsage
    }
    public var description: String { message }

    public static func usage(_ message: String) -> BillingError { BillingError(message, isUsage: true) }
}
