import Foundation

/// A what-if tariff for one rate plan: the included minutes and overage
/// rate to price with instead of the catalog's (`--plans FILE`).
public struct ProposedPlan: Sendable, Equatable {
    public let name: String
    public let includedMinutes: Int
    public let overageRatePerMinute: Money

    public init(name: String, includedMinutes: Int, overageRatePerMinute: Money) {
        self.name = name
        self.includedMinutes = includedMinutes
        self.overageRatePerMinute = overageRatePerMinute
    }

    /// Why a plans file could not be used.
    public struct FileError: Error, CustomStringConvertible {
        public let description: String
        init(_ text: String) { description = text }
    }

    /// Reads a plans file: JSON, an object of plan name -> {"included_minutes": N,
    /// "overage_rate_per_minute": "0.45"} (or a list of such objects with "name"),
    /// or CSV with the header `name,included_minutes,overage_rate_per_minute`.
    public static func parse(_ text: String) throws(FileError) -> [ProposedPlan] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let plans = try trimmed.hasPrefix("{") || trimmed.hasPrefix("[") ? parseJSON(trimmed) : parseCSV(trimmed)
        if plans.isEmpty { throw FileError("it names no plan") }
        var seen = Set<String>()
        for p in plans where !seen.insert(p.name).inserted { throw FileError("plan '\(p.name)' is named twice") }
        return plans
    }

    static func make(name: String, included: String, rate: String, at place: String) throws(FileError) -> ProposedPlan {
        guard !name.isEmpty else { throw FileError("\(place): the plan name is empty") }
        guard let minutes = Int(included), minutes >= 0 else {
            throw FileError("\(place): included_minutes '\(included)' is not a whole number >= 0")
        }
        guard let money = Money(rate), money >= .zero, money <= Money.largestCallCost else {
            throw FileError("\(place): overage_rate_per_minute '\(rate)' is not an amount >= 0 with at most 4 decimals")
        }
        return ProposedPlan(name: name, includedMinutes: minutes, overageRatePerMinute: money)
    }

    static func parseJSON(_ text: String) throws(FileError) -> [ProposedPlan] {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(Array(text.utf8))) } catch {
            throw FileError("it is not valid JSON")
        }
        // Numbers come back as NSNumber; their text form is exact for rates of up to 4 decimals.
        func field(_ v: Any?) -> String {
            switch v {
            case let s as String: return s
            case let n as NSNumber: return n.stringValue
            default: return ""
            }
        }
        var entries: [(String, [String: Any])] = []
        if let dict = object as? [String: Any] {
            for (name, value) in dict.sorted(by: { $0.key < $1.key }) {
                guard let fields = value as? [String: Any] else { throw FileError("plan '\(name)': expected an object") }
                entries.append((name, fields))
            }
        } else if let list = object as? [Any] {
            for (i, value) in list.enumerated() {
                guard let fields = value as? [String: Any] else { throw FileError("entry \(i + 1): expected an object") }
                entries.append((field(fields["name"]), fields))
            }
        } else {
            throw FileError("expected an object of plan names or a list of plans")
        }
        var plans: [ProposedPlan] = []
        for (name, fields) in entries {
            for key in ["included_minutes", "overage_rate_per_minute"] where fields[key] == nil {
                throw FileError("plan '\(name)': \(key) is missing")
            }
            plans.append(try make(name: name, included: field(fields["included_minutes"]),
                                  rate: field(fields["overage_rate_per_minute"]), at: "plan '\(name)'"))
        }
        return plans
    }

    static func parseCSV(_ text: String) throws(FileError) -> [ProposedPlan] {
        var lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let header = lines.first else { return [] }
        let columns = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard columns == ["name", "included_minutes", "overage_rate_per_minute"] else {
            throw FileError("line 1: expected the header name,included_minutes,overage_rate_per_minute (or a JSON file)")
        }
        lines.removeFirst()
        var plans: [ProposedPlan] = []
        for (i, line) in lines.enumerated() {
            var csv = CSVLine()
            do { try csv.parse(Array(line.utf8)) } catch { throw FileError("line \(i + 2): \(error)") }
            let cells = (0 ..< csv.count).map { csv.string($0) }
            guard cells.count == 3 else { throw FileError("line \(i + 2): expected 3 fields, found \(cells.count)") }
            plans.append(try make(name: cells[0].trimmingCharacters(in: .whitespaces),
                                  included: cells[1].trimmingCharacters(in: .whitespaces),
                                  rate: cells[2].trimmingCharacters(in: .whitespaces), at: "line \(i + 2)"))
        }
        return plans
    }
}

extension Catalog {
    /// The same catalog with the proposed plans' minutes and rates, and
    /// `proposedTariffs` (a deck by plan name) pricing those plans' calls
    /// from any date; every plan named must be a plan of the catalog.
    public func replacingPlans(_ proposed: [ProposedPlan], tariffs proposedTariffs: [String: TariffDeck] = [:])
        throws(ProposedPlan.FileError) -> Catalog {
        let byName = Dictionary(proposed.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let known = Set(subscriptions.map(\.plan.name))
        for name in proposed.map(\.name) + proposedTariffs.keys.sorted() where !known.contains(name) {
            throw ProposedPlan.FileError("plan '\(name)' is no plan of any subscription (known: \(known.sorted().joined(separator: ", ")))")
        }
        // A proposed deck is a tariff of its own, one version in force from always.
        let added = proposedTariffs.keys.sorted().enumerated().map { i, plan in
            TariffBook.Version(id: -Int64(i + 1), tariff: "proposed for \(plan)", effectiveFrom: .min, deck: proposedTariffs[plan]!)
        }
        let subs = subscriptions.map { s -> Subscription in
            let p = byName[s.plan.name]
            let tariff = proposedTariffs[s.plan.name] != nil ? "proposed for \(s.plan.name)" : s.plan.tariff
            guard p != nil || tariff != s.plan.tariff else { return s }
            return Subscription(id: s.id, number: s.number, accountId: s.accountId, accountNumber: s.accountNumber,
                                accountType: s.accountType,
                                plan: RatePlan(id: s.plan.id, name: s.plan.name, includedMinutes: p?.includedMinutes ?? s.plan.includedMinutes,
                                               overageRatePerMinute: p?.overageRatePerMinute ?? s.plan.overageRatePerMinute,
                                               tariff: tariff),
                                start: s.start, end: s.end)
        }
        return Catalog(subscriptions: subs, dids: dids,
                       tariffs: added.isEmpty ? tariffs : TariffBook(versions: tariffs.versions + added, zone: tariffs.zone))
    }
}
