-- Drops the customers table and its enums.
DROP TABLE IF EXISTS customers;
DROP TYPE IF EXISTS enum_customers_business_type;
DROP TYPE IF EXISTS enum_customers_status;
DROP TYPE IF EXISTS enum_customers_kyc_status;
