-- Drops the billing settings.
DROP TABLE IF EXISTS billing_settings;
