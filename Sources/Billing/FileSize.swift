import Foundation

/// The size in bytes of the file at `path`, 0 when it cannot be read.
func fileSize(_ path: String) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
}
