import CLibPQ
import Foundation

/// One libpq connection. Not thread-safe: use it from one thread at a time.
public final class Connection {
    private var conn: OpaquePointer?
    /// Secrets to scrub from any text that leaves this type.
    private let secrets: [String]

    /// Connects with a libpq connection string (URI or key=value); an empty
    /// string means "use the PG* environment variables".
    public init(connectionString: String) throws {
        let info = try ConnectionInfo(connectionString)
        secrets = info.secrets
        var keys = info.keywords
        var values = info.values
        if !keys.contains("application_name") { keys.append("application_name"); values.append("cdr-rater") }
        if !keys.contains("connect_timeout") && ProcessInfo.processInfo.environment["PGCONNECT_TIMEOUT"] == nil {
            keys.append("connect_timeout"); values.append("10")
        }
        conn = withCStringArray(keys) { k in
            withCStringArray(values) { v in PQconnectdbParams(k, v, 0) }
        }
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = scrub(oneLine(conn.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"))
            if let conn { PQfinish(conn) }
            self.conn = nil
            // libpq checks option values (port, sslmode, ...) only when it connects.
            if message.hasPrefix("invalid ") {
                throw PostgresError(kind: .badConnectionString, message: "the database URL is not valid: \(message)")
            }
            throw PostgresError(kind: .connection, message: "cannot connect to the database: \(message)")
        }
        _ = PQsetNoticeReceiver(conn, { _, _ in }, nil)
    }

    deinit { if let conn { PQfinish(conn) } }

    /// Whether a connection string holds a password (not counting PGPASSWORD or ~/.pgpass).
    public static func holdsPassword(_ connectionString: String) -> Bool { ConnectionInfo.holdsPassword(connectionString) }

    /// False once the connection is lost (the server went away or ended the session).
    public var isConnected: Bool { conn.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// Something another thread (a signal handler) can use to cancel the statement running now.
    public func makeCanceller() -> QueryCanceller? {
        guard let conn, let handle = PQgetCancel(conn) else { return nil }
        return QueryCanceller(handle)
    }

    /// Closes the connection now instead of at deinit.
    public func close() {
        if let conn { PQfinish(conn) }
        conn = nil
    }

    /// Runs one statement with text parameters (`$1`, `$2`, ...).
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> QueryResult {
        let result: OpaquePointer? = withOptionalCStrings(parameters) { params in
            PQexecParams(conn, sql, Int32(parameters.count), nil, params, nil, nil, 0)
        }
        return try check(result)
    }

    /// Runs one query and hands `body` its rows one at a time as they arrive
    /// (libpq's single-row mode): a large result is never held whole, by
    /// libpq or here. When `body` throws, the rest of the rows are read and
    /// dropped, and its error is thrown.
    public func forEachRow(_ sql: String, _ parameters: [String?] = [], _ body: ([String?]) throws -> Void) throws {
        let sent = withOptionalCStrings(parameters) { params in
            PQsendQueryParams(conn, sql, Int32(parameters.count), nil, params, nil, nil, 0)
        }
        guard sent == 1 else { throw lastError() }
        let single = PQsetSingleRowMode(conn) == 1
        var failure: Error?
        while let r = PQgetResult(conn) {
            if PQresultStatus(r) == PGRES_SINGLE_TUPLE || (!single && PQresultStatus(r) == PGRES_TUPLES_OK) {
                defer { PQclear(r) }
                guard failure == nil else { continue }
                let ncols = Int(PQnfields(r))
                for row in 0 ..< Int(PQntuples(r)) where failure == nil {
                    let cells = (0 ..< ncols).map { c in
                        PQgetisnull(r, Int32(row), Int32(c)) == 1 ? nil : String(cString: PQgetvalue(r, Int32(row), Int32(c)))
                    }
                    do { try body(cells) } catch { failure = error }
                }
            } else {
                do { _ = try check(r) } catch { if failure == nil { failure = error } }
            }
        }
        if let failure { throw failure }
    }

    /// Runs a script of one or more statements without parameters.
    public func execute(script sql: String) throws {
        _ = try check(PQexec(conn, sql))
    }

    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it throws.
    public func transaction<T>(readOnly: Bool = false, _ body: () throws -> T) throws -> T {
        try execute(script: readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN")
        do {
            let value = try body()
            try execute(script: "COMMIT")
            return value
        } catch {
            _ = PQexec(conn, "ROLLBACK").map { PQclear($0) }
            throw error
        }
    }

    /// Holds a session-level advisory lock while `body` runs.
    public func withAdvisoryLock<T>(_ key: Int64, _ body: () throws -> T) throws -> T {
        try query("SELECT pg_advisory_lock($1)", [String(key)])
        defer { _ = try? query("SELECT pg_advisory_unlock($1)", [String(key)]) }
        return try body()
    }

    /// Streams rows into `COPY ... FROM STDIN`; `body` writes the data through
    /// the given sink. Returns the number of rows the server stored.
    @discardableResult
    public func copyIn(_ sql: String, _ body: (CopySink) throws -> Void) throws -> Int {
        let start = PQexec(conn, sql)
        guard let start, PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try check(start)
            throw PostgresError(kind: .query, message: "server did not enter COPY mode")
        }
        PQclear(start)
        let sink = CopySink(connection: self)
        do {
            try body(sink)
        } catch {
            PQputCopyEnd(conn, "cdr-rater aborted the copy")
            while let r = PQgetResult(conn) { PQclear(r) }
            throw error
        }
        guard PQputCopyEnd(conn, nil) == 1 else { throw lastError() }
        var rows = 0
        var failure: Error?
        while let r = PQgetResult(conn) {
            do { rows = Int(try check(r).affectedRows) } catch { if failure == nil { failure = error } }
        }
        if let failure { throw failure }
        return rows
    }

    func putCopyData(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        let ok = bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
            PQputCopyData(conn, $0, Int32(bytes.count))
        }
        guard ok == 1 else { throw lastError() }
    }

    private func lastError() -> PostgresError {
        PostgresError(kind: .query, message: scrub(oneLine(String(cString: PQerrorMessage(conn)))))
    }

    private func check(_ result: OpaquePointer?) throws -> QueryResult {
        guard let result else { throw lastError() }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN:
            return QueryResult(result)
        default:
            func field(_ code: UInt8) -> String? {
                PQresultErrorField(result, Int32(code)).map { scrub(String(cString: $0)) }
            }
            let error = PostgresError(
                kind: .query,
                sqlState: field(UInt8(ascii: "C")),
                message: field(UInt8(ascii: "M")) ?? scrub(oneLine(String(cString: PQresultErrorMessage(result)))),
                detail: field(UInt8(ascii: "D")))
            PQclear(result)
            throw error
        }
    }

    /// Hides the password in text from libpq or the server. libpq never puts
    /// it in its messages; this is the second line of defence. A password of
    /// under 4 characters is left alone: blanking every "1" or "p" would
    /// garble the message and hint at the password.
    func scrub(_ text: String) -> String {
        secrets.filter { $0.count >= 4 }.reduce(text) { $0.replacingOccurrences(of: $1, with: "*****") }
    }
}

/// Buffers COPY text and hands it to libpq in large pieces.
public final class CopySink {
    private unowned let connection: Connection
    init(connection: Connection) { self.connection = connection }

    /// Sends already-encoded COPY text (tab-separated rows ending in newlines).
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try connection.putCopyData($0) }
    }
}

/// The rows of a finished statement, as text.
public struct QueryResult {
    public let columns: [String]
    public let rows: [[String?]]
    public let affectedRows: Int

    init(_ result: OpaquePointer) {
        defer { PQclear(result) }
        let nrows = Int(PQntuples(result)), ncols = Int(PQnfields(result))
        columns = (0..<ncols).map { String(cString: PQfname(result, Int32($0))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(nrows)
        for r in 0..<nrows {
            rows.append((0..<ncols).map { c in
                PQgetisnull(result, Int32(r), Int32(c)) == 1 ? nil : String(cString: PQgetvalue(result, Int32(r), Int32(c)))
            })
        }
        self.rows = rows
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? nrows
    }

    /// The first column of the first row, if any.
    public var scalar: String? { rows.first?.first ?? nil }
}

/// A parsed connection string: libpq's own parser, so URIs and key=value both work.
struct ConnectionInfo {
    var keywords: [String] = []
    var values: [String] = []
    var secrets: [String] = []

    init(_ text: String) throws {
        var errmsg: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &errmsg) else {
            if let errmsg { PQfreemem(errmsg) }
            // libpq's reason quotes the text it could not parse, which may be the password: none of it is shown.
            throw PostgresError(kind: .badConnectionString, message: ConnectionInfo.unparsable)
        }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                let k = String(cString: keyword), v = String(cString: value)
                keywords.append(k); values.append(v)
                if k == "password", !v.isEmpty { secrets.append(v) }
            }
            option += 1
        }
        if let envPassword = ProcessInfo.processInfo.environment["PGPASSWORD"], !envPassword.isEmpty {
            secrets.append(envPassword)
        }
        // A password with an unencoded @ / ? # can be parsed into another part (the host, say) that
        // connection errors quote: its pieces are secrets too.
        for likely in ConnectionInfo.likelyPasswords(in: text) {
            secrets.append(likely)
            secrets += likely.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init).filter { $0.count >= 4 }
        }
    }

    /// Whether `text` holds a password (`user:password@` of a URI, `password=`),
    /// which shows to every user of the machine when it is a command-line argument.
    static func holdsPassword(_ text: String) -> Bool {
        guard let info = try? ConnectionInfo(text) else { return !likelyPasswords(in: text).isEmpty }
        return zip(info.keywords, info.values).contains { $0.0 == "password" && !$0.1.isEmpty }
    }

    static let unparsable = """
        the database URL cannot be parsed (none of it is shown, since it may hold the password). In a postgresql:// URL, \
        percent-encode @ / % : ? # and spaces in the user name and password (@ is %40, / is %2F, % is %25, : is %3A, \
        ? is %3F, # is %23, a space is %20), or use the key=value form: host=... user=... password='...'
        """
}

extension ConnectionInfo {
    /// Password-looking parts of a connection string libpq could not parse:
    /// the `user:password@` of a URI and the value after `password=`.
    static func likelyPasswords(in text: String) -> [String] {
        var found: [String] = []
        if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].lastIndex(of: "@") {
            let userinfo = text[scheme.upperBound ..< at]
            if let colon = userinfo.firstIndex(of: ":") { found.append(String(userinfo[userinfo.index(after: colon)...])) }
        }
        if let key = text.range(of: "password=") {
            found.append(String(text[key.upperBound...].prefix { $0 != " " }))
        }
        return found.filter { !$0.isEmpty }
    }
}

private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafePointer<CChar>?] = strings.map { UnsafePointer(strdup($0)) }
    pointers.append(nil)
    defer { for p in pointers { free(UnsafeMutablePointer(mutating: p)) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

private func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let pointers: [UnsafePointer<CChar>?] = strings.map { $0.map { UnsafePointer(strdup($0)) } ?? nil }
    defer { for p in pointers { free(UnsafeMutablePointer(mutating: p)) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// Cancels the statement a connection is running, from any thread (libpq's PQcancel is safe to call so).
public final class QueryCanceller: @unchecked Sendable {
    private let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { PQfreeCancel(handle) }

    public func cancel() {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(handle, &buffer, Int32(buffer.count))
    }
}
