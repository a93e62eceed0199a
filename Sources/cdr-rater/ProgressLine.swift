import Billing
import ConcurrencyHelpers
import Foundation

/// The live progress line: redrawn on standard error four times a second,
/// erased before any other line is written and when the run ends.
final class ProgressLine: Sendable {
    let progress = RunProgress()
    /// A line is being drawn: other lines start by erasing it.
    static let active = Locked(false)
    /// Held while drawing or erasing, so the two never interleave.
    private struct Drawing {
        let timer = DispatchSource.makeTimerSource(queue: .global())
        var shown = false, stopped = false
    }
    private let drawing = Locked(Drawing())

    init() {
        ProgressLine.active.withLock { $0 = true }
        drawing.withLock { d in
            d.timer.schedule(deadline: .now() + 0.25, repeating: 0.25)
            d.timer.setEventHandler { [weak self] in self?.draw() }
            d.timer.resume()
        }
    }

    private func draw() {
        drawing.withLock { d in
            guard !d.stopped else { return }
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + progress.line()).utf8))
            d.shown = true
        }
    }

    /// Erases the line (before another line is written).
    func clear() {
        drawing.withLock { d in
            if d.shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); d.shown = false }
        }
    }

    func stop() {
        clear()
        drawing.withLock { d in
            if !d.stopped { d.stopped = true; d.timer.cancel(); ProgressLine.active.withLock { $0 = false } }
        }
    }
}
