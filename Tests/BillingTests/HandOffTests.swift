import Dispatch
import Foundation
import XCTest
@testable import Billing

/// The COPY hand-off between the encoding thread and the sending one, one transition at a time.
final class HandOffTests: XCTestCase {
    func testBuffersComeOutInOrderThenNil() {
        let pipe = HandOff<[UInt8]>(capacity: 4)
        XCTAssertTrue(pipe.put([1]))
        XCTAssertTrue(pipe.put([2, 2]))
        pipe.finish()
        XCTAssertEqual(pipe.take(), [1])
        XCTAssertEqual(pipe.take(), [2, 2])
        XCTAssertNil(pipe.take())
        XCTAssertNil(pipe.take(), "still nil")
    }

    func testAFullPipeHoldsTheProducerUntilATake() {
        let pipe = HandOff<[UInt8]>(capacity: 1)
        XCTAssertTrue(pipe.put([1]))
        let putDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = pipe.put([2]) // blocks: the pipe is full
            putDone.signal()
        }
        XCTAssertEqual(putDone.wait(timeout: .now() + 0.2), .timedOut, "the second put waits for room")
        XCTAssertEqual(pipe.take(), [1])
        XCTAssertEqual(putDone.wait(timeout: .now() + 10), .success, "a take makes room")
        XCTAssertEqual(pipe.take(), [2])
    }

    func testCancelReleasesABlockedProducerAndRefusesMore() {
        let pipe = HandOff<[UInt8]>(capacity: 1)
        XCTAssertTrue(pipe.put([1]))
        let result = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var accepted = true }
        let box = Box()
        DispatchQueue.global().async {
            box.accepted = pipe.put([2])
            result.signal()
        }
        XCTAssertEqual(result.wait(timeout: .now() + 0.2), .timedOut)
        pipe.cancel()
        XCTAssertEqual(result.wait(timeout: .now() + 10), .success)
        XCTAssertFalse(box.accepted, "the consumer has gone: the put says so")
        XCTAssertFalse(pipe.put([3]))
    }

    func testAConsumerWaitsForTheProducer() {
        let pipe = HandOff<[UInt8]>(capacity: 2)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) {
            _ = pipe.put([7])
            pipe.finish()
        }
        XCTAssertEqual(pipe.take(), [7])
        XCTAssertNil(pipe.take())
    }
}
