-- Drops the subscriptions table and its enums.
DROP TABLE IF EXISTS subscriptions;
DROP TYPE IF EXISTS enum_subscriptions_status;
DROP TYPE IF EXISTS enum_subscriptions_billing_cycle;
