import Foundation

/// The machine-readable account of a `rate` run (`--summary-json`, SPEC
/// section 6): per file and per run, written also when the run failed.
public struct RunSummary {
    public var command = "rate"
    public var report: RunReport?
    public var started: Date
    public var finished: Date
    public var exitCode: Int32
    /// Why the run failed as a whole (no report), for the operator.
    public var error: String?

    public init(report: RunReport?, started: Date, finished: Date, exitCode: Int32, error: String? = nil) {
        self.report = report
        self.started = started
        self.finished = finished
        self.exitCode = exitCode
        self.error = error
    }

    static func iso(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }

    public func json() -> String {
        let r = report ?? RunReport(dryRun: false)
        let t = r.total
        var object: [String: Any] = [
            "command": command, "dry_run": r.dryRun, "started_at": RunSummary.iso(started), "finished_at": RunSummary.iso(finished),
            "seconds": (finished.timeIntervalSince(started) * 1000).rounded() / 1000,
            "lock_wait_seconds": (r.lockWaitSeconds * 1000).rounded() / 1000, "exit_code": Int(exitCode),
            "totals": [
                "files": r.files.count, "lines": r.lines, "stored": r.stored, "unmatched": r.unmatched,
                "duplicates": r.duplicates, "rejected": r.rejected,
                "charged_minutes": r.files.reduce(0) { $0 + $1.chargedMinutes },
                "included_minutes": t.includedMinutes, "overage_minutes": t.overageMinutes, "cost": t.cost.description,
                "repriced": r.repriced, "repriced_cost": r.repricedCost.description,
            ] as [String: Any],
            "files_by_status": Dictionary(uniqueKeysWithValues: FileOutcome.Status.allCases.map { s in
                (s.rawValue, r.files.filter { $0.status == s }.count)
            }),
            "files": r.files.map { f -> [String: Any] in
                var d: [String: Any] = [
                    "path": f.path, "status": f.status.rawValue, "lines": f.lines, "stored": f.stored, "unmatched": f.unmatched,
                    "duplicates": f.duplicates, "rejected": f.rejected, "charged_minutes": f.chargedMinutes,
                    "cost": f.cost.description, "repriced": f.repriced, "repriced_cost": f.repricedCost.description,
                    "seconds": (f.seconds * 1000).rounded() / 1000,
                ]
                d["sha256"] = f.sha256 ?? NSNull()
                d["rejects_path"] = f.rejectsPath ?? NSNull()
                d["message"] = f.message ?? NSNull()
                d["archived_to"] = f.archivedTo ?? NSNull()
                return d
            },
        ]
        object["error"] = error ?? NSNull()
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// Writes a whole file or nothing: a temporary file beside it, then a rename,
/// so that a reader (node_exporter, a monitoring script) never sees half of it.
public func writeAtomically(_ text: String, to path: String) throws {
    let temporary = path + ".tmp.\(getpid())"
    guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else {
        throw FileWriteError(path: path, reason: String(cString: strerror(errno)))
    }
    if rename(temporary, path) != 0 {
        let reason = String(cString: strerror(errno))
        unlink(temporary)
        throw FileWriteError(path: path, reason: reason)
    }
}

/// A file of the run's (summary, metrics) that could not be written.
public struct FileWriteError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot write \(path): \(reason)" }

    /// Why a file could not be written at `path`, checked before a run starts; nil when it can.
    public static func problem(writing path: String) -> String? {
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            return "its folder \(folder) does not exist"
        }
        return access(folder, W_OK) == 0 ? nil : "its folder \(folder) cannot be written"
    }
}
