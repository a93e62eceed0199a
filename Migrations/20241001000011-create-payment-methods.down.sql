-- Drops the payment_methods table and its enums.
DROP TABLE IF EXISTS payment_methods;
DROP TYPE IF EXISTS enum_payment_methods_type;
DROP TYPE IF EXISTS enum_payment_methods_gateway;
