-- Drops the accounts table and its enums.
DROP TABLE IF EXISTS accounts;
DROP TYPE IF EXISTS enum_accounts_account_type;
DROP TYPE IF EXISTS enum_accounts_status;
DROP TYPE IF EXISTS enum_accounts_billing_cycle;
