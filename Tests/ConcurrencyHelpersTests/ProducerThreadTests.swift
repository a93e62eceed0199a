import ConcurrencyHelpers
import Dispatch
import XCTest

final class ProducerThreadTests: XCTestCase {
    struct Broke: Error, Equatable { let side: String }

    /// Not Sendable: the producer's state goes to its thread and comes back at the join.
    final class Tally { var items = 0 }

    func testBothResultsComeBackAtTheJoin() throws {
        let pipe = BoundedHandOff<Int>(capacity: 1)
        let tally = Tally()
        let (produced, consumed) = try ProducerThread.run(through: pipe, produce: {
            for i in 1 ... 100 where pipe.put(i) { tally.items += 1 }
            return tally
        }, consume: {
            var sum = 0
            while let i = try pipe.next() { sum += i }
            return sum
        })
        XCTAssertEqual(produced.items, 100)
        XCTAssertEqual(consumed, 5050)
    }

    func testTheProducersErrorComesBackAtTheJoin() {
        XCTAssertThrowsError(try ProducerThread.run(produce: { throw Broke(side: "producer") }, consume: { 1 })) {
            XCTAssertEqual($0 as? Broke, Broke(side: "producer"))
        }
    }

    func testTheConsumersErrorWins() {
        XCTAssertThrowsError(try ProducerThread.run(produce: { throw Broke(side: "producer") },
                                                    consume: { throw Broke(side: "consumer") })) {
            XCTAssertEqual($0 as? Broke, Broke(side: "consumer"))
        }
    }

    func testTheConsumerSeesTheProducersErrorAfterItsItems() {
        let pipe = BoundedHandOff<Int>(capacity: 4)
        let taken = Locked<[Int]>([])
        XCTAssertThrowsError(try ProducerThread.run(through: pipe, produce: {
            _ = pipe.put(1)
            _ = pipe.put(2)
            throw Broke(side: "producer")
        }, consume: {
            while let i = try pipe.next() { taken.withLock { $0.append(i) } }
        })) {
            XCTAssertEqual($0 as? Broke, Broke(side: "producer"), "the consumer rethrew it")
        }
        XCTAssertEqual(taken.value, [1, 2])
    }

    func testAConsumerThatGivesUpLetsABlockedProducerGo() {
        let pipe = BoundedHandOff<Int>(capacity: 1)
        XCTAssertThrowsError(try ProducerThread.run(through: pipe, produce: { () -> Int in
            var put = 0
            while pipe.put(put) { put += 1 } // blocks on the full hand-off until the cancel
            return put
        }, consume: {
            _ = pipe.take()
            throw Broke(side: "consumer")
        })) {
            XCTAssertEqual($0 as? Broke, Broke(side: "consumer"))
        }
    }

    func testAnErrorAfterTheProducerFinishedComesOnlyAtTheJoin() {
        let pipe = BoundedHandOff<Int>(capacity: 1)
        let consumed = Locked(false)
        XCTAssertThrowsError(try ProducerThread.run(through: pipe, produce: {
            _ = pipe.put(1)
            pipe.finish()
            throw Broke(side: "producer")
        }, consume: {
            while try pipe.next() != nil {}
            consumed.withLock { $0 = true }
        })) {
            XCTAssertEqual($0 as? Broke, Broke(side: "producer"))
        }
        XCTAssertTrue(consumed.value, "the consumer ended cleanly first")
    }
}
