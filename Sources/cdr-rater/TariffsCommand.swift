import ArgumentParser
import Billing
import Foundation
import Postgres
import RatingRules
import Reports

struct TariffsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tariffs",
        abstract: "Tariffs (rate decks by destination, time band and pulse): import a dated version, list, show, export.",
        discussion: """
            A tariff is a named deck with dated versions. A version is never edited: a correction is a new \
            version with the same date, which supersedes the earlier one. 'rate' and 'rerate' price the calls \
            of a plan with a tariff by the version in force at each call's start; 'cdr-rater price' says what \
            a call costs by one, and why. An import says how many stored calls the version it follows priced \
            from its date on, and prints the 'rerate' that re-prices them.

            Examples:
              cdr-rater tariffs import isd.csv --tariff ISD --effective 2024-10-01 --bands bands.csv --plan Starter
              cdr-rater tariffs import isd.csv --tariff ISD --effective 2024-11-01 --bands bands.csv --dry-run
              cdr-rater tariffs list
              cdr-rater tariffs show ISD --at 2024-10-15
              cdr-rater tariffs export ISD --bands-out bands.csv > isd.csv

            See 'cdr-rater tariffs <subcommand> --help'.

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """,
        subcommands: [TariffsImportCommand.self, TariffsListCommand.self, TariffsShowCommand.self, TariffsExportCommand.self])

    /// A date (midnight) or a time in the business zone.
    static func instant(_ text: String?, _ option: String, zone: ZoneRules) throws -> Int64 {
        guard let text else { return Int64(Date().timeIntervalSince1970) }
        return zone.instant(of: try RerateCommand.dateTime(text, option))
    }

    static func local(_ epoch: Int64, _ zone: ZoneRules) -> String { zone.local(of: epoch).text }

    static func read(_ path: String, _ option: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BillingError("\(option) \(path): cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw BillingError("\(path): not UTF-8 text") }
        return text
    }

    /// A version's bands as the bands file has them (`band,days,start,priority`), for `show` and `export` alike.
    static func bandsTable(_ bands: [TariffStore.StoredBand]) -> Tabular {
        Tabular(columns: TariffFile.bandColumns,
                rows: bands.map { [$0.line.band, $0.days, TariffFile.timeOfDay($0.line.start), String($0.line.priority)] })
    }

    /// The version of `name` in force at `at`, or an error saying why there is none.
    static func version(_ db: Connection, _ name: String, at: String?, zone: ZoneRules) throws -> TariffVersion {
        let instant = try instant(at, "--at", zone: zone)
        if let v = try TariffStore.version(db, tariff: name, at: instant) { return v }
        guard try TariffStore.exists(db, tariff: name) else { throw BillingError("there is no tariff \(name) (cdr-rater tariffs list)") }
        let first = try TariffStore.firstEffective(db, tariff: name).map { ": its first version is from \(local($0, zone))" } ?? ""
        throw BillingError("tariff \(name) has no version in force at \(local(instant, zone)) (\(zone.identifier))\(first)")
    }
}

struct TariffsImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Imports a tariff version from a CSV file, from a date on, atomically; --dry-run shows what it changes.",
        discussion: """
            FILE has a header and these columns, in any order (defaults in brackets): prefix (digits with an \
            optional +, or * for every destination; spaces and dashes dropped, 00 read as +), destination [empty], \
            band [*], from_second [0], rate, unit_seconds [60], increment_seconds [60], connect_fee [0], \
            in_bundle [true], rounding (up, half_up, down) [half_up], decimals [4], max_cost [none].
            The bands file (--bands) has band,days,start,priority [0]: days is * or a ; list of weekdays and \
            ranges (mon-fri), days of every year (01-26) and dates (2024-12-25); start is HH:MM in the business zone.
            --effective DATE is midnight of that date in the business zone (billing_settings.business_zone). \
            Every bad row is named by file and line, and then nothing is imported (exit 1). A version of the \
            same date as a stored one is a correction and supersedes it.

            Examples:
              cdr-rater tariffs import isd.csv --tariff ISD --effective 2024-10-01 --bands bands.csv
              cdr-rater tariffs import isd.csv --tariff ISD --effective 2024-10-01 --plan Starter --plan Professional
              cdr-rater tariffs import isd-nov.csv --tariff ISD --effective 2024-11-01 --bands bands.csv --dry-run

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """)

    @Argument(help: "The rows CSV file.") var file: String
    @Option(help: "The tariff's name (made on its first import).") var tariff: String
    @Option(help: "The version's first day, YYYY-MM-DD (midnight in the business zone).") var effective: String
    @Option(help: "The bands CSV file: band,days,start,priority.") var bands: String?
    @Option(name: .customLong("plan"), help: "A rate plan to price by this tariff (repeatable).") var plans: [String] = []
    @Flag(help: "Show the difference to the version it follows; write nothing.") var dryRun = false
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard effective.count == 10, (try? RerateCommand.dateTime(effective, "--effective")) != nil else {
            throw ValidationError("--effective '\(effective)' is not a date YYYY-MM-DD")
        }
        if tariff.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--tariff needs a name") }
    }

    func run() throws {
        let bandLines: [TariffFile.Band]?
        do {
            bandLines = try bands.map { try TariffFile.bands(try TariffsCommand.read($0, "--bands"), file: $0) }
        } catch let e as TariffFile.Problems {
            throw BillingError(e.description + "\nnothing was imported")
        }
        let rows: [TariffFile.Line]
        do {
            rows = try TariffFile.rows(try TariffsCommand.read(file, "FILE"), file: file, bands: bandLines, bandsFile: bands)
        } catch let e as TariffFile.Problems {
            throw BillingError(e.description + "\n\(e.lines.count) problem\(e.lines.count == 1 ? "" : "s"); nothing was imported")
        }
        let db = try database.connect()
        let r = try TariffStore.importVersion(db, tariff: tariff, effective: try RerateCommand.dateTime(effective, "--effective"), rows: rows,
                                              bands: bandLines ?? [], plans: plans, source: file, dryRun: dryRun)
        for w in r.warnings { note("cdr-rater: warning: \(file): \(w)") }
        let from = "\(TariffsCommand.local(r.effectiveFrom, r.zone)) \(r.zone.identifier)"
        var out: [String] = []
        let what = "\(r.rows) rows, \(r.prefixes) prefixes, \(r.bandLines) band lines"
        out.append(dryRun ? "dry run: tariff \(tariff), a version from \(from): \(what)"
            : "tariff \(tariff): version \(r.versionId!) from \(from): \(what)")
        if let f = r.follows {
            if r.supersedes {
                out.append("a correction: it supersedes version \(f.id) of the same date (imported \(f.createdAt))")
            } else {
                out.append("follows version \(f.id) (from \(TariffsCommand.local(f.effectiveFrom, r.zone)))")
            }
            if let p = r.repriceable {
                // Whole business-zone days around the calls: --to is exclusive.
                let day = { (t: Int64) in String(TariffsCommand.local(t, r.zone).prefix(10)) }
                let next = r.zone.local(of: p.last)
                let to = LocalDateTime(year: next.year, month: next.month, day: next.day)
                let after = String(TariffsCommand.local(r.zone.instant(of: to) + 86_400 + 3600, r.zone).prefix(10))
                let planFlags = r.pricedPlans.map { " --plan '\($0)'" }.joined()
                out.append("\(p.calls) stored call\(p.calls == 1 ? " was" : "s were") priced by version \(f.id) from this version's date on "
                    + "(\(day(p.first)) to \(day(p.last))); \(dryRun ? "once imported, " : "")re-price \(p.calls == 1 ? "it" : "them") with:")
                out.append("  cdr-rater rerate --from \(day(p.first)) --to \(after)\(planFlags)")
            } else {
                out.append("stored calls priced by version \(f.id) from this version's date on: none")
            }
            let n = r.added.count + r.removed.count + r.changed.count
            if n == 0 && !r.bandsChanged {
                out.append("no difference")
            } else {
                out.append("\(r.added.count) added, \(r.removed.count) removed, \(r.changed.count) changed prefixes; bands \(r.bandsChanged ? "changed" : "unchanged")")
                out += r.added.map { "  added    \($0)" } + r.removed.map { "  removed  \($0)" } + r.changed.map { "  changed  \($0)" }
            }
        } else {
            out.append("the first version in force at that date: \(r.prefixes) prefixes added")
        }
        if !plans.isEmpty { out.append("\(dryRun ? "would price" : "prices") plans: \(plans.joined(separator: ", "))") }
        if dryRun { out.append("nothing was written") }
        print(out.joined(separator: "\n"))
    }
}

struct TariffsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Lists the tariffs: versions, the one in force now, its rows, and the plans that name it.",
        discussion: """
            Examples:
              cdr-rater tariffs list
              cdr-rater tariffs list --format json

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """)

    @Option(help: "Output format: table, json or csv.") var format: RunReport.Format = .table
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let db = try database.connect()
        let zone = try TariffStore.zone(db)
        let rows = try TariffStore.list(db, at: Int64(Date().timeIntervalSince1970)).map { c in
            [c[0]!, c[1]!, c[2] ?? "", c[3].flatMap { Int64($0) }.map { TariffsCommand.local($0, zone) } ?? "", c[4] ?? "", c[5] ?? ""]
        }
        let t = Tabular(columns: ["tariff", "versions", "in_force", "effective_from", "rows", "plans"], rows: rows)
        switch format {
        case .table: print(rows.isEmpty ? "no tariffs" : t.tableLines().joined(separator: "\n"))
        case .csv: print(t.csv(), terminator: "")
        case .json: print(t.json(), terminator: "")
        }
    }
}

struct TariffsShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Shows the version of a tariff in force at a time (now by default): its rows and bands.",
        discussion: """
            Examples:
              cdr-rater tariffs show ISD
              cdr-rater tariffs show ISD --at 2024-10-15
              cdr-rater tariffs show ISD --at '2024-10-15 20:00:00' --format json

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """)

    @Argument(help: "The tariff.") var name: String
    @Option(help: "A date or 'YYYY-MM-DD HH:MM:SS' in the business zone [now].") var at: String?
    @Option(help: "Output format: table, json or csv.") var format: RunReport.Format = .table
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let db = try database.connect()
        let zone = try TariffStore.zone(db)
        let v = try TariffsCommand.version(db, name, at: at, zone: zone)
        let rows = Tabular(columns: TariffFile.columns, rows: TariffFile.csv(v.rows))
        let bands = TariffsCommand.bandsTable(v.bands)
        let plans = try TariffStore.plans(db, tariff: name)
        switch format {
        case .table:
            print("""
                tariff          \(name)
                version         \(v.id)
                effective_from  \(TariffsCommand.local(v.effectiveFrom, zone)) \(zone.identifier)
                imported        \(v.createdAt)\(v.source.map { " from \($0)" } ?? "")
                plans           \(plans.isEmpty ? "none" : plans.joined(separator: ", "))

                """ + rows.tableLines().joined(separator: "\n") + (v.bands.isEmpty ? "\n\nbands: none (every row is band *)" : "\n\n" + bands.tableLines().joined(separator: "\n")))
        case .csv: print(rows.csv(), terminator: "")
        case .json:
            func objects(_ t: Tabular) -> JSONValue {
                .array(t.rows.map { r in .object(Dictionary(uniqueKeysWithValues: zip(t.columns, r.map(JSONValue.string)))) })
            }
            print(JSONValue.object([
                "tariff": .string(name), "version": .int(Int(v.id)),
                "effective_from": .string(TariffsCommand.local(v.effectiveFrom, zone)), "zone": .string(zone.identifier),
                "imported": .string(v.createdAt), "plans": .array(plans.map(JSONValue.string)),
                "rows": objects(rows), "bands": objects(bands),
            ]).prettyPrinted)
        }
    }
}

struct TariffsExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Writes the version of a tariff in force at a time as the CSV 'tariffs import' reads.",
        discussion: """
            Importing an export (with its bands file) at the same date is a correction with no difference.

            Examples:
              cdr-rater tariffs export ISD > isd.csv
              cdr-rater tariffs export ISD --at 2024-10-15 --bands-out bands.csv > isd.csv
              cdr-rater tariffs import isd.csv --tariff ISD --effective 2024-10-01 --bands bands.csv --dry-run

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """)

    @Argument(help: "The tariff.") var name: String
    @Option(help: "A date or 'YYYY-MM-DD HH:MM:SS' in the business zone [now].") var at: String?
    @Option(help: "Output format: csv (the import's), table or json.") var format: RunReport.Format = .csv
    @Option(help: "Also write the version's bands file (band,days,start,priority) here.") var bandsOut: String?
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let db = try database.connect()
        let zone = try TariffStore.zone(db)
        let v = try TariffsCommand.version(db, name, at: at, zone: zone)
        let rows = Tabular(columns: TariffFile.columns, rows: TariffFile.csv(v.rows))
        if let bandsOut {
            let bands = TariffsCommand.bandsTable(v.bands)
            guard FileManager.default.createFile(atPath: bandsOut, contents: Data(bands.csv().utf8)) else {
                throw BillingError("--bands-out \(bandsOut): cannot write the file")
            }
        }
        switch format {
        case .csv: print(rows.csv(), terminator: "")
        case .table: print(rows.tableLines().joined(separator: "\n"))
        case .json: print(rows.json(), terminator: "")
        }
    }
}
