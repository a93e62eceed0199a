import Foundation
import Postgres

/// Where a database is production: `--env production` or `CDR_RATER_ENV`,
/// or the database's own setting (`billing_settings.environment`, written
/// by `seed --env production`), which holds whatever the shell says.
public enum DeploymentEnvironment {
    public static let settingName = "environment"

    /// The run's word for it: `--env`, else `CDR_RATER_ENV`.
    public static func named(_ option: String?) -> String? {
        option ?? ProcessInfo.processInfo.environment["CDR_RATER_ENV"]
    }

    /// Production by the run's word or by the database's setting.
    public static func isProduction(_ db: Connection, named: String?) throws -> Bool {
        if named == "production" { return true }
        guard try db.query("SELECT to_regclass('billing_settings') IS NOT NULL").scalar == "t" else { return false }
        return try db.query("SELECT value FROM billing_settings WHERE name = $1", [settingName]).scalar == "production"
    }

    /// Marks the database as production, so that no shell can forget it.
    public static func markProduction(_ db: Connection) throws {
        guard try db.query("SELECT to_regclass('billing_settings') IS NOT NULL").scalar == "t" else { return }
        try db.query("""
            INSERT INTO billing_settings (name, value) VALUES ($1, 'production')
            ON CONFLICT (name) DO UPDATE SET value = 'production', updated_at = now()
            """, [settingName])
    }

    /// The refusal of a command production never runs.
    static func refusal(_ command: String) -> BillingError {
        BillingError("\(command) is refused in production: it drops billed data. If this database really is not production, "
            + "say so first: UPDATE billing_settings SET value = 'development' WHERE name = 'environment'")
    }
}
