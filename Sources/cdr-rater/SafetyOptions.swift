import ArgumentParser
import Billing
import Foundation
import Postgres

/// The options of the commands that change the schema or drop seeded rows
/// (`migrate`, `seed undo`): they wait for the rating lock as `rerate` does,
/// and drop billed data only when told to.
struct SafetyOptions: ParsableArguments {
    @Option(help: "Seconds to wait for running rate or rerate runs (they hold the rating lock) before giving up with exit 75 (default 0: do not wait).")
    var lockWait: Double = 0

    @Flag(help: "Drop billed data (rated calls, usage, the ledger, the cost history) if the command would; on a terminal, asks to type the database's name first.")
    var force = false

    func validate() throws {
        try LockWaitOptions.check(lockWait)
    }

    /// On a terminal, the operator types the database's name to go on; nil (no question) otherwise.
    func confirmation(_ db: Connection) -> ((String) -> Bool)? {
        guard isatty(STDIN_FILENO) == 1, isatty(STDERR_FILENO) == 1 else { return nil }
        return { loss in
            let name = (try? db.query("SELECT current_database()").scalar) ?? "?"
            note("This drops billed data of database \(name): \(loss).")
            FileHandle.standardError.write(Data("Type the database's name (\(name)) to drop it, anything else to stop: ".utf8))
            return readLine()?.trimmingCharacters(in: .whitespaces) == name
        }
    }
}
