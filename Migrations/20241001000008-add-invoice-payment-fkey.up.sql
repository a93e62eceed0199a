-- Adds the foreign key payments.invoice_id -> invoices.id (payments is created before invoices).
ALTER TABLE payments
    ADD CONSTRAINT payments_invoice_id_fkey FOREIGN KEY (invoice_id)
        REFERENCES invoices (id) ON DELETE SET NULL ON UPDATE CASCADE;
