import ConcurrencyHelpers
import Dispatch
import XCTest

final class LockedTests: XCTestCase {
    func testConcurrentIncrementsAllCount() {
        let counter = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0 ..< 10_000 { counter.withLock { $0 += 1 } }
        }
        XCTAssertEqual(counter.value, 80_000)
    }

    func testWithLockReturnsAndRethrows() {
        struct Refused: Error {}
        let names = Locked(["a"])
        XCTAssertEqual(names.withLock { $0.append("b"); return $0.count }, 2)
        XCTAssertThrowsError(try names.withLock { (_: inout [String]) throws(Refused) in throw Refused() }) {
            XCTAssertTrue($0 is Refused)
        }
        XCTAssertEqual(names.value, ["a", "b"], "a throwing body keeps what it changed before")
    }

    func testAWaiterWakesWhenTheValueIsReady() {
        let box = ConditionLocked(0)
        let woke = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let seen = box.withLock(when: { $0 >= 3 }) { $0 }
            XCTAssertEqual(seen, 3)
            woke.signal()
        }
        for _ in 0 ..< 2 { box.withLock { $0 += 1 } }
        XCTAssertEqual(woke.wait(timeout: .now() + 0.2), .timedOut, "2 is not enough")
        box.withLock { $0 += 1 }
        XCTAssertEqual(woke.wait(timeout: .now() + 10), .success)
    }
}
