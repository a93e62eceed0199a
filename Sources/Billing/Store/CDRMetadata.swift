/// One home for the keys of `cdrs.metadata`: what the COPY encoder writes
/// (`CDRRowEncoder`) and the SQL of the stores, `rerate` and `check` reads.
enum CDRMetadata: String, CaseIterable {
    /// The file and line a call came from.
    case source, line
    /// What `rerate` matches a call from again: the switch's account code and the numbers as received.
    case accountCode = "account_code", callerReceived = "caller_received", destinationReceived = "destination_received"
    /// A matched call's usage period and split: charged = included + overage.
    case usagePeriodStart = "usage_period_start", chargedMinutes = "charged_minutes"
    case includedMinutes = "included_minutes", overageMinutes = "overage_minutes"
    /// The exact split (SPEC 3c): billed seconds, those of in-bundle segments, those the bundle covers.
    /// Rows rated before they were kept have the minutes alone: `seconds` reads either.
    case billedSeconds = "billed_seconds", bundleSeconds = "bundle_seconds", coveredSeconds = "covered_seconds"
    /// What priced a tariff call: tariff name, version id, prefix, bands.
    case tariff, tariffVersion = "tariff_version", prefix, bands

    /// `metadata->>'key'` of the row (of `table`, when given): the value as text.
    func text(_ table: String = "") -> String { "\(table.isEmpty ? "" : table + ".")metadata->>'\(rawValue)'" }

    /// `(metadata->>'key')::int`: the value as a whole number. The partial
    /// index `cdrs_holding_included_minutes` is written in these words.
    func int(_ table: String = "") -> String { "(\(text(table)))::int" }

    /// A seconds key as a whole number, for rows written before seconds were
    /// kept too: their minutes x 60 (the bundle then covered every billed second).
    static func seconds(_ key: CDRMetadata, _ table: String = "") -> String {
        switch key {
        case .billedSeconds: "coalesce(\(key.int(table)), \(chargedMinutes.int(table)) * 60)"
        case .bundleSeconds: "coalesce(\(key.int(table)), \(seconds(.billedSeconds, table)))"
        case .coveredSeconds: "coalesce(\(key.int(table)), \(includedMinutes.int(table)) * 60)"
        default: preconditionFailure("\(key.rawValue) is not a number of seconds")
        }
    }

    /// `, "key": ` : the key as the encoder writes it between two members of the JSON object.
    var jsonMember: [UInt8] { Array(", \"\(rawValue)\": ".utf8) }
}
