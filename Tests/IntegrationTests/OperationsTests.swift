import Foundation
import XCTest

/// Operations (SPEC sections 5 and 6): configuration errors that read well.
final class OperationsTests: XCTestCase {
    func testPasswordsWithSpecialCharactersNeverShow() throws {
        let password = "Summer/2024%off@x:y?z#w 9"
        let fragments = ["Summer", "2024", "%off", "off@", "y?z", "z#w", "w 9"]
        let samples = CLI.projectRoot.appendingPathComponent("samples").path
        let cases: [(String, [String], [String: String])] = [
            ("the issue's URL", ["migrate", "status"], ["DATABASE_URL": "postgresql://u:Summer/2024%off@/db"]),
            ("an unencoded URL", ["migrate", "status"], ["DATABASE_URL": "postgresql://u:\(password)@127.0.0.1:1/db"]),
            ("--database-url", ["rate", "--dry-run", samples, "--database-url", "postgresql://u:\(password)@127.0.0.1:1/db"], [:]),
            ("an encoded URL", ["migrate", "status"],
             ["DATABASE_URL": "postgresql://u:\(password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)@127.0.0.1:1/db"]),
            ("key=value, quoted", ["migrate", "status"], ["DATABASE_URL": "host=127.0.0.1 port=1 user=u password='\(password)' dbname=db"]),
            ("key=value, unquoted", ["migrate", "status"], ["DATABASE_URL": "host=127.0.0.1 port=1 user=u password=\(password) dbname=db"]),
            ("PGPASSWORD", ["migrate", "status"], ["PGPASSWORD": password, "PGHOST": "127.0.0.1", "PGPORT": "1", "PGUSER": "u"]),
        ]
        for (name, args, environment) in cases {
            let r = try CLI.run(args, db: nil, environment: environment)
            XCTAssertNotEqual(r.status, 0, name)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(name): one line\n\(r.stderr)")
            for f in fragments {
                XCTAssertFalse(r.stderr.contains(f) || r.stdout.contains(f), "\(name): '\(f)' shows in\n\(r.stderr)\(r.stdout)")
            }
        }
        let unparsable = try CLI.run(["migrate"], db: nil, environment: ["DATABASE_URL": "postgresql://u:Summer/2024%off@/db"])
        XCTAssertEqual(unparsable.status, 2)
        XCTAssertTrue(unparsable.stderr.contains("percent-encode @ / % : ? # and spaces"), unparsable.stderr)
    }

    func testZoneAbbreviationsAreRefused() throws {
        let samples = CLI.projectRoot.appendingPathComponent("samples").path
        for zone in ["BST", "IST"] {
            let r = try CLI.expect(2, ["rate", "--dry-run", "--timezone", zone, samples], db: nil)
            XCTAssertTrue(r.stderr.contains("unknown time zone '\(zone)': use an IANA name"), r.stderr)
        }
    }

    func testVersion() throws {
        let r = try CLI.expect(0, ["--version"], db: nil)
        XCTAssertTrue(r.stdout.hasPrefix("cdr-rater "), r.stdout)
    }
}
