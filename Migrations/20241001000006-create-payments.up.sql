-- Creates the payments table and its enums (the invoice FK is added by 20241001000008).
CREATE TYPE enum_payments_payment_method AS ENUM ('credit_card', 'debit_card', 'net_banking', 'upi', 'wallet', 'bank_transfer');
CREATE TYPE enum_payments_status AS ENUM ('pending', 'processing', 'completed', 'failed', 'refunded', 'partially_refunded');
CREATE TYPE enum_payments_gateway AS ENUM ('razorpay', 'stripe', 'manual');

CREATE TABLE payments (
    id                 uuid                         NOT NULL DEFAULT gen_random_uuid(),
    customer_id        uuid                         NOT NULL,
    account_id         uuid                         NULL,
    subscription_id    uuid                         NULL,
    invoice_id         uuid                         NULL,
    payment_number     varchar(20)                  NOT NULL,
    amount             numeric(10,2)                NOT NULL,
    currency           varchar(3)                   NOT NULL DEFAULT 'INR',
    payment_method     enum_payments_payment_method NOT NULL,
    status             enum_payments_status         NOT NULL DEFAULT 'pending',
    gateway            enum_payments_gateway        NOT NULL,
    gateway_payment_id varchar(100)                 NULL,
    gateway_order_id   varchar(100)                 NULL,
    gateway_signature  varchar(255)                 NULL,
    description        text                         NULL,
    failure_reason     text                         NULL,
    refunded_amount    numeric(10,2)                NOT NULL DEFAULT 0,
    refund_reason      text                         NULL,
    paid_at            timestamptz                  NULL,
    retry_count        integer                      NOT NULL DEFAULT 0,
    last_retry_at      timestamptz                  NULL,
    metadata           jsonb                        NULL,
    created_at         timestamptz                  NOT NULL DEFAULT now(),
    updated_at         timestamptz                  NOT NULL DEFAULT now(),
    CONSTRAINT payments_pkey PRIMARY KEY (id),
    CONSTRAINT payments_payment_number_key UNIQUE (payment_number),
    CONSTRAINT payments_customer_id_fkey FOREIGN KEY (customer_id)
        REFERENCES customers (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT payments_account_id_fkey FOREIGN KEY (account_id)
        REFERENCES accounts (id) ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT payments_subscription_id_fkey FOREIGN KEY (subscription_id)
        REFERENCES subscriptions (id) ON DELETE SET NULL ON UPDATE CASCADE
);

CREATE INDEX payments_customer_id ON payments (customer_id);
CREATE INDEX payments_account_id ON payments (account_id);
CREATE INDEX payments_subscription_id ON payments (subscription_id);
CREATE INDEX payments_invoice_id ON payments (invoice_id);
CREATE INDEX payments_payment_number ON payments (payment_number);
CREATE INDEX payments_status ON payments (status);
CREATE INDEX payments_gateway ON payments (gateway);
CREATE INDEX payments_gateway_payment_id ON payments (gateway_payment_id);
