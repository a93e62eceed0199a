import Postgres
import RatingRules

/// What rating runs against: the catalog and the business zone.
struct RatingContext {
    let catalog: Catalog
    /// The zone usage periods are computed in: `billing_settings.business_zone`.
    let businessZone: ZoneRules
}

/// Reads the subscriptions, plans, accounts and DIDs rating needs.
enum CatalogLoader {
    /// The business zone's name, as SQL: `billing_settings.business_zone`, Asia/Kolkata when unset.
    static let businessZoneSQL = "coalesce((SELECT value FROM billing_settings WHERE name = 'business_zone'), 'Asia/Kolkata')"

    /// The catalog and the business zone; refuses a database that was never seeded.
    static func context(_ db: Connection) throws -> RatingContext {
        let plans = try db.execute("SELECT count(*) FROM rate_plans").scalar(Int.self) ?? 0
        let zone = try TariffStore.zone(db)
        let catalog = try load(db, zone: zone)
        if plans == 0 || catalog.subscriptions.isEmpty {
            throw BillingError("the database has \(plans == 0 ? "no rate plans" : "no subscriptions"): there is nothing to rate "
                + "calls against. Seed it first (cdr-rater seed), or load the catalog, then run again")
        }
        return RatingContext(catalog: catalog, businessZone: zone)
    }

    /// The catalog with proposed plans (what-if), or a usage error naming the plans file's mistake.
    static func proposing(_ plans: [ProposedPlan], tariffs: [String: TariffDeck] = [:], in catalog: Catalog) throws -> Catalog {
        do { return try catalog.replacingPlans(plans, tariffs: tariffs) } catch {
            throw BillingError.usage("\(tariffs.isEmpty ? "--plans" : "--plans/--plan-tariff"): \(error)")
        }
    }

    static func load(_ db: Connection, zone: ZoneRules) throws -> Catalog {
        // Databases not yet migrated to tariffs (a down migration, tests of old states) price every plan flat.
        let hasTariffs = try db.execute("SELECT to_regclass('tariffs') IS NOT NULL").scalar(Bool.self) ?? false
        // Calls start on whole seconds: start_date <= t and t < end hold exactly
        // when compared with the dates rounded up to whole seconds.
        let subs = try db.execute("""
            SELECT s.id, s.subscription_number, a.id, a.account_number, a.account_type::text,
                   p.id, p.name, p.included_minutes, p.overage_rate_per_minute::text,
                   ceil(extract(epoch FROM s.start_date))::bigint,
                   ceil(extract(epoch FROM coalesce(s.end_date, s.cancelled_at)))::bigint,
                   \(unescaped: hasTariffs ? "(SELECT t.name FROM tariffs t WHERE t.id = p.tariff_id)" : "NULL::text")
            FROM subscriptions s
            JOIN accounts a ON a.id = s.account_id
            JOIN rate_plans p ON p.id = s.rate_plan_id
            """).decode((String, String, String, String, String, String, String, Int, Money, Int64, Int64?, String?).self)
            .map { id, number, accountId, accountNumber, accountType, planId, planName, included, rate, start, end, tariff in
                Subscription(id: id, number: number, accountId: accountId, accountNumber: accountNumber,
                             accountType: Subscription.AccountType(rawValue: accountType) ?? .postpaid,
                             plan: RatePlan(id: planId, name: planName, includedMinutes: included, overageRatePerMinute: rate, tariff: tariff),
                             start: start, end: end)
            }
        let dids = try db.execute("""
            SELECT did_number, did_type::text, subscription_id FROM dids
            WHERE subscription_id IS NOT NULL AND status = 'assigned'
            """).decode((String, String, String).self).map { number, type, subscriptionId in
            AssignedDID(number: NumberPlan.normalize(number), type: DIDType(rawValue: type) ?? .local, subscriptionId: subscriptionId)
        }
        return Catalog(subscriptions: subs, dids: dids, tariffs: hasTariffs ? try TariffStore.book(db, zone: zone) : TariffBook(versions: [], zone: zone))
    }
}
