import Foundation
import Logging
import Postgres

/// What a nightly role needs to run `rate`, `rerate`, `files`, `check` and
/// `partitions ensure`, and nothing more: one home for the list, used by
/// `cdr-rater grants` and by `Migrator`, which gives it again to every role
/// `grants --apply` recorded (in `billing_roles`) after each `up` and `down`,
/// since a migration that makes a table anew drops what was granted on it.
///
/// The role owns nothing: a month with no partition yet is made by the SQL
/// functions of migration 20241201000008, which run as the owner of cdrs and
/// give the new month the privileges of cdrs.
public enum NightlyGrants {
    /// Each table the nightly job touches, and what it does to it.
    static let tables: [(name: String, privileges: String)] = [
        ("cdrs", "SELECT, INSERT, UPDATE"), // rated calls; late calls and rerate price them again
        ("cdr_uuids", "SELECT, INSERT"), // the uuid registry: cdrs' triggers write it as the writer
        ("cdr_months_archived", "SELECT"),
        ("cdr_files", "SELECT, INSERT, UPDATE"), // the file ledger
        ("subscription_usage", "SELECT, INSERT, UPDATE"),
        ("accounts", "SELECT, UPDATE"), // prepaid balances
        ("cdr_cost_history", "INSERT"),
        ("rerate_runs", "SELECT, INSERT, UPDATE"),
        ("run_lock_holders", "SELECT, INSERT, UPDATE, DELETE"),
        ("billing_settings", "SELECT"),
        ("rate_plans", "SELECT"),
        ("subscriptions", "SELECT"),
        ("dids", "SELECT"),
        ("tariffs", "SELECT"), // the decks rating prices with (SPEC 3c); imported by the owner
        ("tariff_versions", "SELECT"),
        ("tariff_rows", "SELECT"),
        ("tariff_bands", "SELECT"),
    ]

    /// The functions that make (or analyze) a month as the owner of cdrs.
    static let functions = ["cdrs_ensure_month(date)", "cdrs_open_month_load(date)", "cdrs_attach_month_load(date)",
                            "cdrs_open_month_rewrite(date)", "cdrs_build_month_rewrite(date)", "cdrs_swap_month_rewrite(date)",
                            "cdrs_analyze_months(timestamptz, timestamptz)"]

    /// The GRANT statements for `role`, for the objects the schema has now
    /// (a table or function a later migration brings is granted by the
    /// migrator once it is there); the months of cdrs get what cdrs gets.
    public static func statements(_ db: Connection, role: String) throws -> [String] {
        let grantee = try quotedRole(role)
        let database = try quotedDatabase(db)
        var out = ["GRANT CONNECT, TEMPORARY ON DATABASE \(database) TO \(grantee)", // TEMPORARY: the changes table of re-pricing
                   "GRANT USAGE ON SCHEMA public TO \(grantee)"]
        let present = Set(try db.query("SELECT t FROM unnest($1::text[]) t WHERE to_regclass('public.' || quote_ident(t)) IS NOT NULL",
                                       [postgresArrayLiteral(tables.map(\.name))]).rows.map { $0[0]! })
        for t in tables where present.contains(t.name) {
            out.append("GRANT \(t.privileges) ON TABLE public.\(quoted(t.name)) TO \(grantee)")
            if t.name == "cdrs" {
                out += try months(db).map { "GRANT \(t.privileges) ON TABLE public.\(quoted($0)) TO \(grantee)" }
            }
        }
        let writes = tables.filter { present.contains($0.name) && $0.privileges.contains("INSERT") }.map(\.name)
        out += try sequences(db, of: writes).map { "GRANT USAGE ON SEQUENCE public.\(quoted($0)) TO \(grantee)" }
        out += try presentFunctions(db).map { "GRANT EXECUTE ON FUNCTION public.\($0) TO \(grantee)" }
        return out
    }

    /// Applies the statements for `role` in one transaction and records the
    /// role, so that every later migration gives them again. Refuses a role
    /// that does not exist, a superuser, the owner of the schema, and a
    /// caller that is not the owner (GRANT would do nothing but warn).
    public static func apply(_ db: Connection, role: String) throws -> [String] {
        try db.transaction {
            try refuseUnsuitable(db, role: role)
            let statements = try statements(db, role: role)
            for s in statements { try db.execute(script: s) }
            try ensureRoleTable(db)
            try db.query("""
                INSERT INTO billing_roles (role_name, granted_by) VALUES ($1, current_user)
                ON CONFLICT (role_name) DO UPDATE SET granted_by = EXCLUDED.granted_by, granted_at = now()
                """, [role])
            return statements
        }
    }

    /// Those of `functions` the schema has now (a later migration brings the rest).
    private static func presentFunctions(_ db: Connection) throws -> [String] {
        try db.query("SELECT f FROM unnest($1::text[]) f WHERE to_regprocedure('public.' || f) IS NOT NULL",
                     [postgresArrayLiteral(functions)]).rows.map { $0[0]! }
    }

    /// The current database's name, quoted for a GRANT or REVOKE.
    private static func quotedDatabase(_ db: Connection) throws -> String {
        try db.query("SELECT quote_ident(current_database())").scalar!
    }

    /// The REVOKE statements that take back from `role` everything `statements`
    /// gives (and whatever else it was given on the schema's tables, sequences
    /// and those functions): for a nightly role retired or moved to another host.
    public static func revocations(_ db: Connection, role: String) throws -> [String] {
        let grantee = try quotedRole(role)
        let database = try quotedDatabase(db)
        return try ["REVOKE ALL ON ALL TABLES IN SCHEMA public FROM \(grantee)", // the months and archived months too
                "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM \(grantee)"]
            + presentFunctions(db).map { "REVOKE EXECUTE ON FUNCTION public.\($0) FROM \(grantee)" }
            + ["REVOKE USAGE ON SCHEMA public FROM \(grantee)", "REVOKE CONNECT, TEMPORARY ON DATABASE \(database) FROM \(grantee)"]
    }

    /// Applies `revocations` in one transaction and forgets the role, so
    /// that later migrations no longer give it anything. The same refusals
    /// as `apply` (a superuser's or the owner's privileges are not a nightly role's).
    public static func revoke(_ db: Connection, role: String) throws -> [String] {
        try db.transaction {
            try ensureRoleTable(db)
            // A role dropped since it was recorded has nothing left to revoke: it is only forgotten.
            if try db.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]).rows.isEmpty,
               try !db.query("DELETE FROM billing_roles WHERE role_name = $1 RETURNING 1", [role]).rows.isEmpty {
                return []
            }
            try refuseUnsuitable(db, role: role)
            let statements = try revocations(db, role: role)
            for s in statements { try db.execute(script: s) }
            try db.query("DELETE FROM billing_roles WHERE role_name = $1", [role])
            return statements
        }
    }

    /// After a migration: every recorded role that still exists gets the
    /// statements again, in one transaction; a role dropped since is named
    /// and left out.
    static func reapply(_ db: Connection, logger: Logger) throws {
        guard try db.query("SELECT to_regclass('public.billing_roles') IS NOT NULL").scalar == "t" else { return }
        try db.transaction {
            for row in try db.query("""
                SELECT b.role_name, r.oid IS NOT NULL FROM billing_roles b LEFT JOIN pg_roles r ON r.rolname = b.role_name ORDER BY 1
                """).rows {
                let role = row[0]!
                guard row[1] == "t" else {
                    logger.warning("grants: the nightly role \(role) no longer exists; left out (DELETE FROM billing_roles WHERE role_name = '\(role)' forgets it)")
                    continue
                }
                for s in try statements(db, role: role) { try db.execute(script: s) }
                logger.info("grants: \(role) keeps what the nightly job needs")
            }
        }
    }

    /// The roles `grants --apply` does not give to, with a reason an operator can act on.
    static func refuseUnsuitable(_ db: Connection, role: String) throws {
        _ = try quotedRole(role)
        guard try db.query("SELECT to_regclass('public.cdrs') IS NOT NULL").scalar == "t" else {
            throw BillingError("the database has no cdrs table: run 'cdr-rater migrate' first")
        }
        let r = try db.query("""
            SELECT r.rolsuper, r.oid = c.relowner, pg_has_role(current_user, c.relowner, 'USAGE'), pg_get_userbyid(c.relowner), current_user
            FROM pg_roles r, pg_class c WHERE r.rolname = $1 AND c.oid = 'public.cdrs'::regclass
            """, [role]).rows.first
        guard let r else {
            throw BillingError("there is no role \(role): create it first (as a superuser or a role with CREATEROLE): "
                + "CREATE ROLE \(try quotedRole(role)) LOGIN; then set its password with \\password in psql, not on a command line")
        }
        if r[0] == "t" { throw BillingError("\(role) is a superuser: a nightly role is one that owns nothing and may do only what the job needs") }
        if r[1] == "t" { throw BillingError("\(role) owns the schema: a nightly role is another role, one that owns nothing") }
        if r[2] != "t" {
            throw BillingError("grants --apply runs as the owner of the schema (\(r[3]!), the role that ran 'cdr-rater migrate'), not as \(r[4]!)")
        }
    }

    static func ensureRoleTable(_ db: Connection) throws {
        // The migrator's bookkeeping, like schema_migrations: kept whatever migrations do.
        try db.execute(script: """
            CREATE TABLE IF NOT EXISTS billing_roles (
                role_name  text PRIMARY KEY,
                granted_by text NOT NULL,
                granted_at timestamptz NOT NULL DEFAULT now()
            )
            """)
    }

    /// The attached months of cdrs.
    private static func months(_ db: Connection) throws -> [String] {
        try db.query("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'public.cdrs'::regclass ORDER BY 1
            """).rows.map { $0[0]! }
    }

    /// The sequences of `tables`' serial columns (an identity column's needs no grant).
    private static func sequences(_ db: Connection, of tables: [String]) throws -> [String] {
        try db.query("""
            SELECT s.relname FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
            WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'
              AND d.refobjid IN (SELECT to_regclass('public.' || quote_ident(t)) FROM unnest($1::text[]) t)
            ORDER BY 1
            """, [postgresArrayLiteral(tables)]).rows.map { $0[0]! }
    }

    /// The role name as a quoted identifier; refuses what cannot be a role's name.
    static func quotedRole(_ role: String) throws -> String {
        guard !role.isEmpty, role.utf8.count <= 63, !role.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw BillingError.usage("--role: a role name is 1 to 63 bytes without control characters")
        }
        guard !role.lowercased().hasPrefix("pg_"), role.lowercased() != "public" else {
            throw BillingError.usage("--role \(role): names starting with pg_, and PUBLIC, are PostgreSQL's own; name a role of the nightly job")
        }
        return quoted(role)
    }

    /// An identifier in double quotes, any double quote in it doubled.
    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
