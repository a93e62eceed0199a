import ArgumentParser
import Billing
import Foundation
import RatingRules
import Reports

struct PriceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "price",
        abstract: "What one call costs by a tariff (or a plan's tariff), and why: the answer a support desk gives.",
        discussion: """
            The call is priced by the version in force at its start (the latest effective_from at or before it, \
            the latest correction among equals); the destination is normalized by the number plan first. No \
            bundle applies. A plan without a tariff prices as one catch-all row: its overage rate per 60 s, \
            60 s pulses. A call with no price exits 1 with the reason.

            Examples:
              cdr-rater price --tariff ISD --destination '+44 1632 960001' --start '2024-10-07 19:59:30' --seconds 95
              cdr-rater price --plan Starter --destination 9812345678 --start '2024-10-07 10:00:00' --seconds 125 --format json

            \(HelpText.environment)

            \(HelpText.exitCodes)
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Option(help: "The tariff to price by.") var tariff: String?
    @Option(help: "The rate plan whose tariff prices the call.") var plan: String?
    @Option(help: "The number dialled.") var destination: String
    @Option(help: "The call's start, 'YYYY-MM-DD HH:MM:SS' in the business zone.") var start: String
    @Option(help: "The call's billable seconds.") var seconds: Int
    @Option(help: "Output format: table or json.") var format: Format = .table
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if (tariff == nil) == (plan == nil) { throw ValidationError("name one of --tariff NAME or --plan NAME") }
        if seconds < 0 { throw ValidationError("--seconds must be 0 or more") }
        guard start.count == 19, (try? RerateCommand.dateTime(start, "--start")) != nil else {
            throw ValidationError("--start '\(start)' is not a time 'YYYY-MM-DD HH:MM:SS'")
        }
    }

    func run() throws {
        let db = try database.connect()
        let zone = try TariffStore.zone(db)
        let local = try RerateCommand.dateTime(start, "--start")
        let instant = zone.instant(of: local)
        var name = tariff
        let version: String, versionId: Int64?, deck: TariffDeck
        if let plan {
            guard let p = try TariffStore.plan(db, name: plan) else { throw BillingError("there is no rate plan \(plan)") }
            name = p.tariff
        }
        if let name {
            let v = try TariffsCommand.version(db, name, at: start, zone: zone)
            (version, versionId, deck) = ("version \(v.id), from \(TariffsCommand.local(v.effectiveFrom, zone)) \(zone.identifier)", v.id, v.deck)
        } else {
            // SPEC 3c: a plan without a tariff is priced as one catch-all row at its overage rate, 60/60.
            let p = try TariffStore.plan(db, name: plan!)!
            guard let rate = DecimalRate(p.overageRate) else { throw BillingError("plan \(plan!): overage rate \(p.overageRate) is not a decimal") }
            deck = TariffDeck(name: "plan \(plan!)", rows: [TariffRow(prefix: TariffRow.catchAll, rate: rate)], bands: TimeBands([]))
            (version, versionId) = ("plan \(plan!) has no tariff: one catch-all row, its overage rate \(p.overageRate) per 60 s, 60 s pulses", nil)
        }
        let charge: TariffCharge
        do {
            charge = try deck.price(destination: NumberPlan.normalize(destination), start: instant, seconds: seconds, zone: zone)
        } catch {
            throw BillingError(error.description)
        }
        try show(charge, tariff: name, version: version, versionId: versionId, zone: zone)
    }

    /// A segment's exact cost at 4 decimals, `~` when it is not exact there.
    static func amount(_ a: ExactAmount) -> String {
        let down = a.rounded(4, .down), up = a.rounded(4, .up)
        return down == up ? down.description : "~" + a.rounded(4, .halfUp).description
    }

    func show(_ c: TariffCharge, tariff: String?, version: String, versionId: Int64?, zone: ZoneRules) throws {
        let normalized = NumberPlan.normalize(destination)
        let rounding = "\(c.rounding.rawValue) to \(c.decimals) decimals" + (c.cap.map { ", capped at \($0)" } ?? "")
        switch format {
        case .table:
            let segments = Tabular(columns: ["band", "tier", "start", "seconds", "billed", "rate", "unit", "pulse", "cost"],
                                   rows: c.segments.map { s in
                                       [s.band, String(s.tier), String(s.start), String(s.seconds), String(s.billedSeconds), s.rate.description,
                                        "\(s.unitSeconds)s", "\(s.incrementSeconds)s", PriceCommand.amount(s.cost)]
                                   })
            var lines = [
                "tariff          \(tariff ?? "none") (\(version))",
                "destination     \(normalized)",
                "prefix          \(c.prefix)\(c.destination.isEmpty ? "" : " (\(c.destination))")",
                "start           \(start) \(zone.identifier), \(seconds) s",
                "",
            ]
            lines += c.segments.isEmpty ? ["no segments: a call of 0 seconds is not charged"] : segments.tableLines(alignment: { $0 >= 1 && $0 != 6 && $0 != 7 ? .right : .left })
            lines += [
                "",
                "billed seconds  \(c.billedSeconds)",
                "connect fee     \(c.connectFee)",
                "rounding        \(rounding)",
                "cost            \(c.cost)",
            ]
            print(lines.joined(separator: "\n"))
        case .json:
            var object: [String: JSONValue] = [
                "tariff": tariff.map(JSONValue.string) ?? .null, "version": versionId.map { .int(Int($0)) } ?? .null,
                "version_text": .string(version),
                "destination": .string(normalized), "prefix": .string(c.prefix), "destination_name": .string(c.destination),
                "start": .string(start), "zone": .string(zone.identifier), "seconds": .int(seconds),
                "billed_seconds": .int(c.billedSeconds), "connect_fee": .string(c.connectFee.description),
                "rounding": .string(c.rounding.rawValue), "decimals": .int(c.decimals), "cost": .string(c.cost.description),
            ]
            object["max_cost"] = c.cap.map { .string($0.description) } ?? .null
            object["segments"] = .array(c.segments.map { s in
                .object(["band": .string(s.band), "tier": .int(s.tier), "start": .int(s.start), "seconds": .int(s.seconds),
                         "billed_seconds": .int(s.billedSeconds), "rate": .string(s.rate.description), "unit_seconds": .int(s.unitSeconds),
                         "increment_seconds": .int(s.incrementSeconds), "cost": .string(PriceCommand.amount(s.cost))])
            })
            print(JSONValue.object(object).prettyPrinted)
        }
    }
}
