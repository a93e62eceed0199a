import RatingRules

/// A `cdrs` row as `rerate` reads it: how the call is matched and priced now,
/// and, when the row kept them, the account code and numbers as received,
/// from which it can be matched again (SPEC section 3b).
struct StoredCall {
    let uuid: String
    let start: Int64
    let match: CallMatch
    let priced: PricedCall
    /// `billable_seconds`: what a tariff priced.
    let billsec: Int
    /// The call as the switch reported it, when the row kept what matching needs.
    let record: CallDetailRecord?

    init(uuid: String, start: Int64, match: CallMatch, priced: PricedCall, billsec: Int = 0, record: CallDetailRecord?) {
        self.uuid = uuid
        self.start = start
        self.match = match
        self.priced = priced
        self.billsec = record?.billsec ?? billsec
        self.record = record
    }

    /// The call as minute allocation sees it: priced by its new charge in `repriced` (a call whose price alone
    /// changed), else as stored (by the version and prefix that priced it).
    func charge(book: TariffBook, repriced: [CDRKey: CallCharge] = [:]) -> Charge {
        let key = CDRKey(uuid)
        return Charge(start: start, key: key, price: repriced[key] ?? priced.charge(start: start, billsec: billsec, book: book))
    }

    /// The columns a query for stored calls selects, from `cdrs c`, in `Column` order.
    static let columns = Column.allCases.map(\.sql).joined(separator: ", ")

    /// The selected columns, by position: a case's raw value is its index in the row.
    enum Column: Int, CaseIterable {
        case uuid, start, end, duration, billsec, hangupCause, accountCode, callerReceived, destinationReceived
        case subscriptionId, accountId, direction, type, status, error, cost, periodStart, billedSeconds, bundleSeconds, coveredSeconds
        case tariff, tariffVersion, prefix, bands

        var sql: String {
            switch self {
            case .uuid: "c.uuid"
            case .start: "extract(epoch FROM c.start_time)::bigint"
            case .end: "extract(epoch FROM c.end_time)::bigint"
            case .duration: "c.duration"
            case .billsec: "c.billable_seconds"
            case .hangupCause: "c.hangup_cause"
            case .accountCode: CDRMetadata.accountCode.text("c")
            case .callerReceived: CDRMetadata.callerReceived.text("c")
            case .destinationReceived: CDRMetadata.destinationReceived.text("c")
            case .subscriptionId: "c.subscription_id"
            case .accountId: "c.account_id"
            case .direction: "c.call_direction"
            case .type: "c.call_type"
            case .status: "c.call_status"
            case .error: "c.processing_error"
            case .cost: "c.cost"
            case .periodStart: "extract(epoch FROM (\(CDRMetadata.usagePeriodStart.text("c")))::timestamptz)::bigint"
            case .billedSeconds: "coalesce(\(CDRMetadata.seconds(.billedSeconds, "c")), 0)"
            case .bundleSeconds: "coalesce(\(CDRMetadata.seconds(.bundleSeconds, "c")), 0)"
            case .coveredSeconds: "coalesce(\(CDRMetadata.seconds(.coveredSeconds, "c")), 0)"
            case .tariff: CDRMetadata.tariff.text("c")
            case .tariffVersion: CDRMetadata.tariffVersion.text("c")
            case .prefix: CDRMetadata.prefix.text("c")
            case .bands: CDRMetadata.bands.text("c")
            }
        }

        /// The column (or metadata key) as an operator finds it in `cdrs`, for errors.
        var name: String {
            switch self {
            case .uuid: "uuid"
            case .start: "start_time"
            case .end: "end_time"
            case .duration: "duration"
            case .billsec: "billable_seconds"
            case .hangupCause: "hangup_cause"
            case .accountCode: "metadata." + CDRMetadata.accountCode.rawValue
            case .callerReceived: "metadata." + CDRMetadata.callerReceived.rawValue
            case .destinationReceived: "metadata." + CDRMetadata.destinationReceived.rawValue
            case .subscriptionId: "subscription_id"
            case .accountId: "account_id"
            case .direction: "call_direction"
            case .type: "call_type"
            case .status: "call_status"
            case .error: "processing_error"
            case .cost: "cost"
            case .periodStart: "metadata." + CDRMetadata.usagePeriodStart.rawValue
            case .billedSeconds: "metadata." + CDRMetadata.billedSeconds.rawValue
            case .bundleSeconds: "metadata." + CDRMetadata.bundleSeconds.rawValue
            case .coveredSeconds: "metadata." + CDRMetadata.coveredSeconds.rawValue
            case .tariff: "metadata." + CDRMetadata.tariff.rawValue
            case .tariffVersion: "metadata." + CDRMetadata.tariffVersion.rawValue
            case .prefix: "metadata." + CDRMetadata.prefix.rawValue
            case .bands: "metadata." + CDRMetadata.bands.rawValue
            }
        }
    }

    /// Decodes a row of `columns`. A NULL where the call needs a value, or a
    /// value that does not parse, throws an error naming the call and the
    /// column: one bad row fails the rerate (which then writes nothing), it
    /// does not crash it.
    init(row fields: [String?]) throws {
        let row = try Row(fields)
        uuid = try row.text(.uuid)
        start = try row.value(.start, "a time in epoch seconds") { Int64($0) }
        let subscriptionId = row.optional(.subscriptionId)
        match = CallMatch(subscriptionId: subscriptionId, accountId: row.optional(.accountId),
                          direction: try row.value(.direction, "a call direction") { CallDirection(rawValue: $0) },
                          type: try row.value(.type, "a call type") { CallType(rawValue: $0) },
                          status: try row.value(.status, "a call status") { CallStatus(rawValue: $0) },
                          error: row.optional(.error))
        priced = PricedCall(subscriptionId: subscriptionId, cost: try row.value(.cost, "an amount") { Money($0) },
                            periodStart: try row.valueIfPresent(.periodStart, "a time in epoch seconds") { Int64($0) },
                            billedSeconds: try row.value(.billedSeconds, "a number of seconds") { Int($0) },
                            bundleSeconds: try row.value(.bundleSeconds, "a number of seconds") { Int($0) },
                            coveredSeconds: try row.value(.coveredSeconds, "a number of seconds") { Int($0) },
                            tariff: try row.valueIfPresent(.tariffVersion, "a tariff version id") { Int64($0) }.map {
                                TariffAudit(tariff: row.optional(.tariff) ?? "", version: $0, prefix: row.optional(.prefix) ?? "",
                                            bands: row.optional(.bands) ?? "")
                            })
        billsec = try row.value(.billsec, "a number of seconds") { Int($0) }
        // Rows rated before the account code and the numbers as received were kept cannot be matched again.
        if let account = row.optional(.accountCode), let caller = row.optional(.callerReceived),
           let destination = row.optional(.destinationReceived) {
            record = CallDetailRecord(
                uuid: uuid, callerId: NumberPlan.normalize(caller), destination: NumberPlan.normalize(destination),
                accountCode: account, start: start, answer: nil,
                end: try row.valueIfPresent(.end, "a time in epoch seconds") { Int64($0) } ?? start,
                duration: try row.value(.duration, "a number of seconds") { Int($0) },
                billsec: try row.value(.billsec, "a number of seconds") { Int($0) },
                hangupCause: row.optional(.hangupCause) ?? "", lineNumber: 0,
                callerReceived: caller, destinationReceived: destination)
        } else {
            record = nil
        }
    }

    /// One fetched row, read by column: what cannot be read throws, naming the column.
    private struct Row {
        let fields: [String?]

        init(_ fields: [String?]) throws {
            guard fields.count == Column.allCases.count else {
                throw BillingError("a stored call came back with \(fields.count) columns, not the \(Column.allCases.count) selected")
            }
            self.fields = fields
        }

        func optional(_ column: Column) -> String? { fields[column.rawValue] }

        func text(_ column: Column) throws -> String {
            guard let text = fields[column.rawValue] else { throw problem(column, "is NULL") }
            return text
        }

        func value<T>(_ column: Column, _ what: String, _ parse: (String) -> T?) throws -> T {
            let text = try text(column)
            guard let value = parse(text) else { throw problem(column, "is not \(what): '\(text)'") }
            return value
        }

        func valueIfPresent<T>(_ column: Column, _ what: String, _ parse: (String) -> T?) throws -> T? {
            guard fields[column.rawValue] != nil else { return nil }
            return try value(column, what, parse)
        }

        private func problem(_ column: Column, _ what: String) -> BillingError {
            let call = fields[Column.uuid.rawValue].map { "the stored call \($0)" } ?? "a stored call"
            return BillingError("cannot re-rate \(call): cdrs \(column.name) \(what)")
        }
    }
}
