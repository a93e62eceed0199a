-- Drops the payments table and its enums.
DROP TABLE IF EXISTS payments;
DROP TYPE IF EXISTS enum_payments_payment_method;
DROP TYPE IF EXISTS enum_payments_status;
DROP TYPE IF EXISTS enum_payments_gateway;
