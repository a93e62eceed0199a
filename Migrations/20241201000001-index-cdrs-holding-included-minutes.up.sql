-- The calls of a usage period that hold included minutes: when a late file
-- brings earlier calls, only these can be re-priced (at most minutes_included
-- calls a period), so rating reads them instead of the period's every call.
-- Partial: only the few rows that hold included minutes are in it, so COPY of
-- overage and unmatched calls pays nothing for it.
CREATE INDEX cdrs_holding_included_minutes ON cdrs (subscription_id, start_time)
    WHERE (metadata->>'included_minutes')::int > 0;
