DROP FUNCTION cdrs_analyze_months(timestamptz, timestamptz);
