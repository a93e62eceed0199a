import Postgres
import RatingRules

/// A stored version of a tariff (SPEC 3c).
public struct TariffVersion: Sendable {
    public let id: Int64
    public let tariff: String
    public let effectiveFrom: Int64
    /// When it was imported, as the database writes it.
    public let createdAt: String
    public let source: String?
    public let rows: [TariffRow]
    public let bands: [TariffStore.StoredBand]

    public var deck: TariffDeck { TariffDeck(name: tariff, rows: rows, bands: TimeBands(bands.map(\.line))) }
}

/// What an import did, or would do (`--dry-run`).
public struct TariffImport: Sendable {
    public let tariff: String
    public let effectiveFrom: Int64
    public let zone: ZoneRules
    public let rows: Int
    public let prefixes: Int
    public let bandLines: Int
    /// The version stored (nil on a dry run).
    public let versionId: Int64?
    /// The version in force at the new one's date before it (the one it follows or, of the same date, supersedes).
    public let follows: (id: Int64, effectiveFrom: Int64, createdAt: String)?
    public let supersedes: Bool
    public let added: [String], removed: [String], changed: [String]
    public let bandsChanged: Bool
    public let warnings: [String]
    public let plans: [String]
    /// Stored calls from the new version's date on that the version it follows (or supersedes) priced,
    /// and the span of their start times: what a `rerate` re-prices.
    public var repriceable: (calls: Int, first: Int64, last: Int64)?
    /// The plans that price with this tariff now.
    public var pricedPlans: [String] = []
}

/// Tariffs in the database: import, look-up of the version in force, listing.
public enum TariffStore {
    public struct StoredBand: Sendable {
        public let days: String
        public let line: BandLine
    }

    /// The business zone (billing_settings.business_zone).
    public static func zone(_ db: Connection) throws -> ZoneRules {
        let name = try db.execute("SELECT \(unescaped: CatalogLoader.businessZoneSQL)").scalar(String.self) ?? "Asia/Kolkata"
        guard let zone = ZoneRules(identifier: name) else {
            throw BillingError("billing_settings.business_zone '\(name)' is not a time zone this machine knows (use an IANA name such as Asia/Kolkata)")
        }
        return zone
    }

    /// The version of `tariff` in force at `instant`: the latest effective_from <= it, the latest correction among equals.
    /// `rows: false` leaves its rows out (`rows` empty).
    public static func version(_ db: Connection, tariff: String, at instant: Int64, rows: Bool = true) throws -> TariffVersion? {
        guard let v = try db.execute("""
            SELECT v.id, extract(epoch FROM v.effective_from)::bigint, v.created_at::text, v.source
            FROM tariff_versions v JOIN tariffs t ON t.id = v.tariff_id
            WHERE t.name = \(tariff) AND v.effective_from <= to_timestamp(\(instant))
            ORDER BY v.effective_from DESC, v.id DESC LIMIT 1
            """).decodeFirst((Int64, Int64, String, String?).self) else { return nil }
        return try load(db, id: v.0, tariff: tariff, effectiveFrom: v.1, createdAt: v.2, source: v.3, rows: rows)
    }

    /// Every version of every tariff, loaded once for a run (SPEC 3c: a tariff is loaded once a run).
    static func book(_ db: Connection, zone: ZoneRules) throws -> TariffBook {
        let versions = try db.execute("""
            SELECT v.id, t.name, extract(epoch FROM v.effective_from)::bigint
            FROM tariff_versions v JOIN tariffs t ON t.id = v.tariff_id ORDER BY v.id
            """).decode((Int64, String, Int64).self)
        return TariffBook(versions: try versions.map { id, tariff, from in
            TariffBook.Version(id: id, tariff: tariff, effectiveFrom: from, deck: try deck(db, id: id, tariff: tariff))
        }, zone: zone)
    }

    /// A stored version's deck, read a prefix at a time (the primary key's order): a deck of 200,000 rows is
    /// never held as rows, neither as text nor as `TariffRow`s.
    static func deck(_ db: Connection, id: Int64, tariff: String) throws -> TariffDeck {
        var builder = TariffDeck.Builder(name: tariff, bands: TimeBands(try bands(db, id: id, tariff: tariff).map(\.line)))
        try forEachPrefix(db, version: id) { _, rows in builder.add(rows) }
        return builder.deck()
    }

    /// A stored version's rows, one prefix's at a time, as they arrive (in the primary key's order, so one prefix's rows come together).
    static func forEachPrefix(_ db: Connection, version id: Int64, _ body: (_ prefix: String, _ rows: [TariffRow]) throws -> Void) throws {
        var rows: [TariffRow] = []
        try db.forEachRow("SELECT \(unescaped: rowColumns) FROM tariff_rows WHERE version_id = \(id) ORDER BY prefix, band, from_second") { c in
            let r = row(c)
            if let last = rows.last, last.prefix != r.prefix { try body(last.prefix, rows); rows.removeAll(keepingCapacity: true) }
            rows.append(r)
        }
        if let last = rows.last { try body(last.prefix, rows) }
    }

    static func load(_ db: Connection, id: Int64, tariff: String, effectiveFrom: Int64, createdAt: String, source: String?,
                     rows withRows: Bool = true) throws -> TariffVersion {
        var rows: [TariffRow] = []
        if withRows {
            try db.forEachRow("SELECT \(unescaped: rowColumns) FROM tariff_rows WHERE version_id = \(id) ORDER BY line") { rows.append(row($0)) }
        }
        let bands = try bands(db, id: id, tariff: tariff)
        return TariffVersion(id: id, tariff: tariff, effectiveFrom: effectiveFrom, createdAt: createdAt, source: source, rows: rows, bands: bands)
    }

    private static let rowColumns = """
        prefix, destination, band, from_second, rate::text, unit_seconds, increment_seconds, connect_fee::text,
        in_bundle, rounding, decimals, max_cost::text
        """

    /// A row of `rowColumns`, as stored (the database's checks hold it to what TariffFile reads).
    private static func row(_ c: [String?]) -> TariffRow {
        var r = TariffRow(prefix: c[0]!, rate: DecimalRate(c[4]!) ?? DecimalRate(mantissa: 0, scale: 0))
        r.destination = c[1]!
        r.band = c[2]!
        r.fromSecond = Int(c[3]!)!
        r.unitSeconds = Int(c[5]!)!
        r.incrementSeconds = Int(c[6]!)!
        r.connectFee = DecimalRate(c[7]!) ?? DecimalRate(mantissa: 0, scale: 0)
        r.inBundle = c[8] == "t"
        r.rounding = Rounding(rawValue: c[9]!) ?? .halfUp
        r.decimals = Int(c[10]!)!
        r.maxCost = c[11].flatMap { DecimalRate($0) }
        return r
    }

    private static func bands(_ db: Connection, id: Int64, tariff: String) throws -> [StoredBand] {
        try db.execute("""
            SELECT line, band, days, start_second, priority FROM tariff_bands WHERE version_id = \(id) ORDER BY line
            """).rows.map { c -> StoredBand in
            // Stored only after BandDays read them; a band that no longer reads is an error, never left out.
            guard let days = try? BandDays(c[2]!) else {
                throw BillingError("tariff \(tariff) version \(id): the days '\(c[2]!)' of its band \(c[1]!) (bands line \(c[0]!)) do not read")
            }
            return StoredBand(days: c[2]!, line: BandLine(band: c[1]!, days: days, start: Int(c[3]!)!, priority: Int(c[4]!)!))
        }
    }

    /// Imports a version from `effective` (midnight of a business-zone date), atomically, or (dryRun) says what it would change.
    public static func importVersion(_ db: Connection, tariff: String, effective: LocalDateTime, rows: [TariffFile.Line],
                                     bands: [TariffFile.Band], plans: [String], source: String, dryRun: Bool) throws -> TariffImport {
        try db.transaction(readOnly: dryRun) {
            let zone = try zone(db)
            let from = zone.instant(of: effective)
            if !dryRun {
                try db.execute("INSERT INTO tariffs (name) VALUES (\(tariff)) ON CONFLICT (name) DO NOTHING")
                // One import of a tariff at a time: the versions' order is the order they were made.
                try db.execute("SELECT id FROM tariffs WHERE name = \(tariff) FOR UPDATE")
            }
            for plan in plans where try db.execute("SELECT 1 FROM rate_plans WHERE name = \(plan)").rows.isEmpty {
                throw BillingError("--plan \(plan): there is no rate plan of that name; nothing was imported")
            }
            let previous = try version(db, tariff: tariff, at: from, rows: false)
            var shapes = TariffFile.PriceShapes()
            let new = shapes.byPrefix(rows.lazy.map(\.row))
            var old: [String: Int32] = [:]
            if let previous { try forEachPrefix(db, version: previous.id) { prefix, rs in old[prefix] = shapes.id(of: rs) } }
            let added = new.keys.filter { old[$0] == nil }.sorted(), removed = old.keys.filter { new[$0] == nil }.sorted()
            let changed = new.keys.filter { old[$0] != nil && old[$0] != new[$0] }.sorted()
            func bandKeys(_ b: [(String, BandLine)]) -> [String] {
                b.map { "\($0.1.band)|\($0.0.lowercased().replacingOccurrences(of: " ", with: ""))|\($0.1.start)|\($0.1.priority)" }.sorted()
            }
            let bandsChanged = previous.map { bandKeys($0.bands.map { ($0.days, $0.line) }) != bandKeys(bands.map { ($0.daysText, $0.band) }) } ?? !bands.isEmpty
            var versionId: Int64?
            if !dryRun {
                let id = try db.execute("""
                    INSERT INTO tariff_versions (tariff_id, effective_from, source)
                    SELECT id, \(postgresTimestamp(from))::timestamptz, \(source) FROM tariffs WHERE name = \(tariff) RETURNING id
                    """).scalar(Int64.self)!
                versionId = id
                try copyRows(db, version: id, rows: rows)
                try db.copyIn("COPY tariff_bands (version_id, line, band, days, start_second, priority) FROM STDIN") { sink in
                    var e = CopyEncoder()
                    for b in bands {
                        e.int(id); e.int(b.line); e.text(b.band.band); e.text(b.daysText); e.int(b.band.start); e.int(b.band.priority); e.endRow()
                    }
                    try sink.write(e.buffer)
                }
                // Statistics for the rows just loaded: without them every run read a 200,000-row version by a bitmap
                // scan and an external sort on disk (0.3-0.8 s of the server's), where the primary key gives them in order.
                try db.execute(script: "ANALYZE tariff_rows")
                for plan in plans {
                    try db.execute("UPDATE rate_plans SET tariff_id = (SELECT id FROM tariffs WHERE name = \(tariff)), updated_at = now() WHERE name = \(plan)")
                }
            }
            var result = TariffImport(tariff: tariff, effectiveFrom: from, zone: zone, rows: rows.count, prefixes: new.count,
                                      bandLines: bands.count, versionId: versionId,
                                      follows: previous.map { ($0.id, $0.effectiveFrom, $0.createdAt) },
                                      supersedes: previous?.effectiveFrom == from, added: added, removed: removed, changed: changed,
                                      bandsChanged: bandsChanged, warnings: TariffFile.gaps(rows.lazy.map(\.row), bands: bands.map(\.band)), plans: plans)
            if let previous {
                // The calls the new version now prices (its date on), priced by the one it follows: what a rerate changes.
                if let (count, first, last) = try db.execute("""
                    SELECT count(*), extract(epoch FROM min(start_time))::bigint, extract(epoch FROM max(start_time))::bigint
                    FROM cdrs WHERE start_time >= to_timestamp(\(from)) AND metadata->>'tariff_version' = \(String(previous.id))
                    """).decodeFirst((Int, Int64?, Int64?).self), count > 0, let first, let last {
                    result.repriceable = (count, first, last)
                }
            }
            result.pricedPlans = try self.plans(db, tariff: tariff)
            return result
        }
    }

    /// The rows by COPY, in pieces of a few megabytes.
    static func copyRows(_ db: Connection, version: Int64, rows: [TariffFile.Line]) throws {
        try db.copyIn("""
            COPY tariff_rows (version_id, line, prefix, destination, band, from_second, rate, unit_seconds, increment_seconds,
                              connect_fee, in_bundle, rounding, decimals, max_cost) FROM STDIN
            """) { sink in
            var e = CopyEncoder()
            for l in rows {
                let r = l.row
                e.int(version); e.int(l.line); e.text(r.prefix); e.text(r.destination); e.text(r.band); e.int(r.fromSecond)
                e.text(r.rate.description); e.int(r.unitSeconds); e.int(r.incrementSeconds); e.text(r.connectFee.description)
                e.text(r.inBundle ? "t" : "f"); e.text(r.rounding.rawValue); e.int(r.decimals); e.text(r.maxCost?.description)
                e.endRow()
                if e.buffer.count > 1 << 20 { try sink.write(e.buffer); e.clear() }
            }
            try sink.write(e.buffer)
        }
    }

    /// One line a tariff: its versions, the one in force at `instant`, and the plans that name it.
    public static func list(_ db: Connection, at instant: Int64) throws -> [[String?]] {
        try db.execute("""
            SELECT t.name, (SELECT count(*) FROM tariff_versions v WHERE v.tariff_id = t.id)::text,
                   f.id::text, f.effective_from,
                   (SELECT count(*) FROM tariff_rows r WHERE r.version_id = f.id)::text,
                   (SELECT string_agg(p.name, ';' ORDER BY p.name) FROM rate_plans p WHERE p.tariff_id = t.id)
            FROM tariffs t
            LEFT JOIN LATERAL (SELECT v.id, extract(epoch FROM v.effective_from)::bigint::text AS effective_from FROM tariff_versions v
                               WHERE v.tariff_id = t.id AND v.effective_from <= to_timestamp(\(instant))
                               ORDER BY v.effective_from DESC, v.id DESC LIMIT 1) f ON true
            ORDER BY t.name
            """).rows
    }

    /// The plans that name `tariff`.
    public static func plans(_ db: Connection, tariff: String) throws -> [String] {
        try db.execute("SELECT p.name FROM rate_plans p JOIN tariffs t ON t.id = p.tariff_id WHERE t.name = \(tariff) ORDER BY 1").rows.map { $0[0]! }
    }

    public static func exists(_ db: Connection, tariff: String) throws -> Bool {
        !(try db.execute("SELECT 1 FROM tariffs WHERE name = \(tariff)").rows.isEmpty)
    }

    /// The first version's date, for saying why nothing is in force.
    public static func firstEffective(_ db: Connection, tariff: String) throws -> Int64? {
        try db.execute("""
            SELECT extract(epoch FROM min(v.effective_from))::bigint FROM tariff_versions v JOIN tariffs t ON t.id = v.tariff_id WHERE t.name = \(tariff)
            """).scalar(Int64.self)
    }

    /// A plan's tariff name and overage rate; nil when there is no such plan.
    public static func plan(_ db: Connection, name: String) throws -> (tariff: String?, overageRate: String)? {
        try db.execute("""
            SELECT t.name, p.overage_rate_per_minute::text FROM rate_plans p LEFT JOIN tariffs t ON t.id = p.tariff_id WHERE p.name = \(name)
            """).decodeFirst((String?, String).self).map { ($0.0, $0.1) }
    }
}
