import ConcurrencyHelpers
import Dispatch
import XCTest

/// The COPY hand-off between the encoding thread and the sending one, one transition at a time.
final class BoundedHandOffTests: XCTestCase {
    func testBuffersComeOutInOrderThenNil() {
        let pipe = BoundedHandOff<[UInt8]>(capacity: 4)
        XCTAssertTrue(pipe.put([1]))
        XCTAssertTrue(pipe.put([2, 2]))
        pipe.finish()
        XCTAssertEqual(pipe.take(), [1])
        XCTAssertEqual(pipe.take(), [2, 2])
        XCTAssertNil(pipe.take())
        XCTAssertNil(pipe.take(), "still nil")
    }

    func testAFullPipeHoldsTheProducerUntilATake() {
        let pipe = BoundedHandOff<[UInt8]>(capacity: 1)
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
        let pipe = BoundedHandOff<[UInt8]>(capacity: 1)
        XCTAssertTrue(pipe.put([1]))
        let result = DispatchSemaphore(value: 0)
        let accepted = Locked(true)
        DispatchQueue.global().async {
            let put = pipe.put([2])
            accepted.withLock { $0 = put }
            result.signal()
        }
        XCTAssertEqual(result.wait(timeout: .now() + 0.2), .timedOut)
        pipe.cancel()
        XCTAssertEqual(result.wait(timeout: .now() + 10), .success)
        XCTAssertFalse(accepted.value, "the consumer has gone: the put says so")
        XCTAssertFalse(pipe.put([3]))
    }

    func testAConsumerWaitsForTheProducer() {
        let pipe = BoundedHandOff<[UInt8]>(capacity: 2)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) {
            _ = pipe.put([7])
            pipe.finish()
        }
        XCTAssertEqual(pipe.take(), [7])
        XCTAssertNil(pipe.take())
    }

    func testNextThrowsTheProducersErrorAfterTheItemsBeforeIt() {
        struct Broke: Error {}
        let pipe = BoundedHandOff<[UInt8]>(capacity: 2)
        XCTAssertTrue(pipe.put([1]))
        pipe.finish(throwing: Broke())
        XCTAssertEqual(try pipe.next(), [1])
        XCTAssertThrowsError(try pipe.next()) { XCTAssertTrue($0 is Broke) }
        XCTAssertNil(pipe.take(), "take sees only the end")
    }

    func testAnErrorAfterTheFinishIsNotTheConsumers() throws {
        struct Broke: Error {}
        let pipe = BoundedHandOff<[UInt8]>(capacity: 1)
        pipe.finish()
        pipe.finish(throwing: Broke())
        XCTAssertNil(try pipe.next())
    }
}
