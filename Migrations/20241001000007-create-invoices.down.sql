-- Drops the invoices table and its enums.
DROP TABLE IF EXISTS invoices;
DROP TYPE IF EXISTS enum_invoices_invoice_type;
DROP TYPE IF EXISTS enum_invoices_status;
