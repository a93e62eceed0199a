-- Creates the payment_methods table (saved gateway payment instruments) and its enums.
CREATE TYPE enum_payment_methods_type AS ENUM ('credit_card', 'debit_card', 'net_banking', 'upi', 'wallet');
CREATE TYPE enum_payment_methods_gateway AS ENUM ('razorpay', 'stripe');

CREATE TABLE payment_methods (
    id                        uuid                         NOT NULL DEFAULT gen_random_uuid(),
    customer_id               uuid                         NOT NULL,
    type                      enum_payment_methods_type    NOT NULL,
    gateway                   enum_payment_methods_gateway NOT NULL,
    gateway_payment_method_id varchar(100)                 NOT NULL,
    is_default                boolean                      NOT NULL DEFAULT false,
    is_active                 boolean                      NOT NULL DEFAULT true,
    last4                     varchar(4)                   NULL,
    card_brand                varchar(20)                  NULL,
    expiry_month              integer                      NULL,
    expiry_year               integer                      NULL,
    bank_name                 varchar(100)                 NULL,
    upi_id                    varchar(100)                 NULL,
    metadata                  jsonb                        NULL,
    created_at                timestamptz                  NOT NULL DEFAULT now(),
    updated_at                timestamptz                  NOT NULL DEFAULT now(),
    CONSTRAINT payment_methods_pkey PRIMARY KEY (id),
    CONSTRAINT payment_methods_customer_id_fkey FOREIGN KEY (customer_id)
        REFERENCES customers (id) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX payment_methods_customer_id ON payment_methods (customer_id);
CREATE INDEX payment_methods_gateway_payment_method_id ON payment_methods (gateway_payment_method_id);
CREATE INDEX payment_methods_is_default ON payment_methods (is_default);
