-- Drops the foreign key payments.invoice_id -> invoices.id.
ALTER TABLE IF EXISTS payments DROP CONSTRAINT IF EXISTS payments_invoice_id_fkey;
