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

    /// `metadata->>'key'` of the row (of `table`, when given): the value as text.
    func text(_ table: String = "") -> String { "\(table.isEmpty ? "" : table + ".")metadata->>'\(rawValue)'" }

    /// `(metadata->>'key')::int`: the value as a whole number. The partial
    /// index `cdrs_holding_included_minutes` is written in these words.
    func int(_ table: String = "") -> String { "(\(text(table)))::int" }

    /// `, "key": ` : the key as the encoder writes it between two members of the JSON object.
    var jsonMember: [UInt8] { Array(", \"\(rawValue)\": ".utf8) }
}
