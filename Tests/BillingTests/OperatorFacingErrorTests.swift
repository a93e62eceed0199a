import Foundation
import Postgres
import XCTest
@testable import Billing

/// Each error the operator sees says its own exit code and line (the CLI's tests check them end to end).
final class OperatorFacingErrorTests: XCTestCase {
    func testExitCodes() {
        let errors: [(any OperatorFacingError, Int32)] = [
            (BillingError("broke"), 1),
            (BillingError.usage("bad flag"), 2),
            (PostgresError(kind: .badConnectionString, message: "x"), 2),
            (PostgresError(kind: .query, message: "x"), 1),
            (RunLockBusy(holder: "pid 7", waited: 3), 75),
            (RunStopped(signal: SIGTERM, file: nil), 143),
            (RunStopped(signal: SIGINT, file: "a.csv"), 130),
            (ProjectFiles.Missing(folder: "Seeds", searched: []), 1),
        ]
        for (error, code) in errors { XCTAssertEqual(error.exitCode, code, "\(error)") }
    }

    func testMessages() {
        XCTAssertEqual(BillingError.usage("bad flag").operatorMessage, "bad flag")
        XCTAssertEqual(PostgresError(kind: .query, sqlState: "42P01", message: "relation \"cdrs\" does not exist").operatorMessage,
                       "relation \"cdrs\" does not exist [SQLSTATE 42P01]; is the database migrated? run 'cdr-rater migrate' (and 'cdr-rater seed') first")
        let stopped = RunStopped(signal: SIGTERM, file: nil)
        XCTAssertEqual(stopped.operatorMessage, stopped.description)
    }
}
