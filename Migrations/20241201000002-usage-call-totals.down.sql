-- Removes the usage rows' call totals.
UPDATE subscription_usage SET metadata = metadata - 'imported_minutes' - 'call_cost' WHERE metadata IS NOT NULL;
