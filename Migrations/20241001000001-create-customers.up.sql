-- Creates the customers table (billing identity of a user) and its enums.
CREATE TYPE enum_customers_business_type AS ENUM ('individual', 'small_business', 'enterprise');
CREATE TYPE enum_customers_status AS ENUM ('active', 'suspended', 'pending', 'cancelled');
CREATE TYPE enum_customers_kyc_status AS ENUM ('pending', 'submitted', 'verified', 'rejected');

CREATE TABLE customers (
    id               uuid                         NOT NULL DEFAULT gen_random_uuid(),
    user_id          uuid                         NOT NULL,
    company_name     varchar(255)                 NULL,
    business_type    enum_customers_business_type NOT NULL DEFAULT 'individual',
    gstin            varchar(15)                  NULL,
    pan              varchar(10)                  NULL,
    billing_address  text                         NULL,
    billing_city     varchar(100)                 NULL,
    billing_state    varchar(100)                 NULL,
    billing_country  varchar(100)                 NOT NULL DEFAULT 'India',
    billing_pincode  varchar(10)                  NULL,
    status           enum_customers_status        NOT NULL DEFAULT 'active',
    credit_limit     numeric(10,2)                NOT NULL DEFAULT 0,
    kyc_status       enum_customers_kyc_status    NOT NULL DEFAULT 'pending',
    kyc_documents    jsonb                        NULL,
    tax_exempt       boolean                      NOT NULL DEFAULT false,
    notes            text                         NULL,
    created_at       timestamptz                  NOT NULL DEFAULT now(),
    updated_at       timestamptz                  NOT NULL DEFAULT now(),
    CONSTRAINT customers_pkey PRIMARY KEY (id),
    CONSTRAINT customers_gstin_key UNIQUE (gstin),
    CONSTRAINT customers_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE RESTRICT ON UPDATE CASCADE
);

CREATE INDEX customers_user_id ON customers (user_id);
CREATE INDEX customers_status ON customers (status);
CREATE INDEX customers_gstin ON customers (gstin);
