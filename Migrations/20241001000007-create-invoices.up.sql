-- Creates the invoices table and its enums.
CREATE TYPE enum_invoices_invoice_type AS ENUM ('subscription', 'postpaid', 'one_time', 'credit_note');
CREATE TYPE enum_invoices_status AS ENUM ('draft', 'finalized', 'paid', 'partially_paid', 'overdue', 'void', 'cancelled');

CREATE TABLE invoices (
    id                   uuid                       NOT NULL DEFAULT gen_random_uuid(),
    customer_id          uuid                       NOT NULL,
    account_id           uuid                       NULL,
    subscription_id      uuid                       NULL,
    invoice_number       varchar(20)                NOT NULL,
    invoice_type         enum_invoices_invoice_type NOT NULL DEFAULT 'subscription',
    status               enum_invoices_status       NOT NULL DEFAULT 'draft',
    subtotal             numeric(10,2)              NOT NULL DEFAULT 0,
    tax_amount           numeric(10,2)              NOT NULL DEFAULT 0,
    total_amount         numeric(10,2)              NOT NULL DEFAULT 0,
    paid_amount          numeric(10,2)              NOT NULL DEFAULT 0,
    balance_amount       numeric(10,2)              NOT NULL DEFAULT 0,
    currency             varchar(3)                 NOT NULL DEFAULT 'INR',
    billing_period_start timestamptz                NULL,
    billing_period_end   timestamptz                NULL,
    issue_date           timestamptz                NOT NULL,
    due_date             timestamptz                NOT NULL,
    paid_date            timestamptz                NULL,
    line_items           jsonb                      NULL,
    tax_breakdown        jsonb                      NULL,
    customer_snapshot    jsonb                      NULL,
    notes                text                       NULL,
    terms_and_conditions text                       NULL,
    metadata             jsonb                      NULL,
    created_at           timestamptz                NOT NULL DEFAULT now(),
    updated_at           timestamptz                NOT NULL DEFAULT now(),
    CONSTRAINT invoices_pkey PRIMARY KEY (id),
    CONSTRAINT invoices_invoice_number_key UNIQUE (invoice_number),
    CONSTRAINT invoices_customer_id_fkey FOREIGN KEY (customer_id)
        REFERENCES customers (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT invoices_account_id_fkey FOREIGN KEY (account_id)
        REFERENCES accounts (id) ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT invoices_subscription_id_fkey FOREIGN KEY (subscription_id)
        REFERENCES subscriptions (id) ON DELETE SET NULL ON UPDATE CASCADE
);

CREATE INDEX invoices_customer_id ON invoices (customer_id);
CREATE INDEX invoices_account_id ON invoices (account_id);
CREATE INDEX invoices_subscription_id ON invoices (subscription_id);
CREATE INDEX invoices_invoice_number ON invoices (invoice_number);
CREATE INDEX invoices_status ON invoices (status);
CREATE INDEX invoices_due_date ON invoices (due_date);
CREATE INDEX invoices_issue_date ON invoices (issue_date);
