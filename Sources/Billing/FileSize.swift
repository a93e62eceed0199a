import Foundation
import CDRIngest

/// The size in bytes of the file at `path` (its link followed), 0 when it cannot be read.
func fileSize(_ path: RawPath) -> Int64 {
    var info = stat()
    return path.withCString { stat($0, &info) } == 0 ? Int64(info.st_size) : 0
}
