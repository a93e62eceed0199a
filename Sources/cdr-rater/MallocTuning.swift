#if canImport(Glibc)
import Glibc
#endif

/// glibc's malloc serves a block of 128 KiB or more by mmap, and when such a
/// block is freed it raises that threshold to the block's size (up to
/// 32 MiB): from then on the rating's large arrays (the sorter's run, COPY
/// batches, parsed chunks) come from the heap, where freed ones stay mapped
/// and fragment. A fixed threshold keeps them mmapped, given back when freed.
/// Heap profile and `/usr/bin/time` of a full run of 1M lines into the month
/// holding 1M: peak RSS 134.8 MiB -> 122.7 MiB, no slower (MALLOC_ARENA_MAX=2
/// changed nothing; thresholds of 1, 4 and 16 MiB gave 128.0, 129.6 and
/// 133.6 MiB). For full runs only (`rate` without --dry-run): a dry run,
/// at 92 MiB without it, would pay each parsed chunk's arrays mmapped and
/// unmapped (0.33 s more system time for 1M lines, 1.13x its wall time).
/// The environment's `MALLOC_MMAP_THRESHOLD_` still wins.
enum MallocTuning {
    static let mmapThreshold: Int32 = 256 * 1024

    static func apply() {
        #if canImport(Glibc)
        guard getenv("MALLOC_MMAP_THRESHOLD_") == nil else { return }
        // mallopt is in <malloc.h>, which the Glibc module does not bring in: looked up by name.
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "mallopt") else { return }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let M_MMAP_THRESHOLD: Int32 = -3 // <malloc.h>
        _ = unsafeBitCast(symbol, to: Mallopt.self)(M_MMAP_THRESHOLD, mmapThreshold)
        #endif
    }
}
