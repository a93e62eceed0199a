-- Drops the subscription_usage table.
DROP TABLE IF EXISTS subscription_usage;
