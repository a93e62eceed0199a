-- Creates the accounts table (prepaid/postpaid balance of a customer) and its enums.
CREATE TYPE enum_accounts_account_type AS ENUM ('prepaid', 'postpaid');
CREATE TYPE enum_accounts_status AS ENUM ('active', 'suspended', 'closed');
CREATE TYPE enum_accounts_billing_cycle AS ENUM ('monthly', 'quarterly', 'annual');

CREATE TABLE accounts (
    id                      uuid                        NOT NULL DEFAULT gen_random_uuid(),
    customer_id             uuid                        NOT NULL,
    account_number          varchar(20)                 NOT NULL,
    account_type            enum_accounts_account_type  NOT NULL DEFAULT 'prepaid',
    balance                 numeric(10,2)               NOT NULL DEFAULT 0,
    credit_limit            numeric(10,2)               NOT NULL DEFAULT 0,
    status                  enum_accounts_status        NOT NULL DEFAULT 'active',
    currency                varchar(3)                  NOT NULL DEFAULT 'INR',
    billing_cycle           enum_accounts_billing_cycle NOT NULL DEFAULT 'monthly',
    billing_day             integer                     NOT NULL DEFAULT 1,
    auto_recharge           boolean                     NOT NULL DEFAULT false,
    auto_recharge_amount    numeric(10,2)               NULL,
    auto_recharge_threshold numeric(10,2)               NULL,
    low_balance_alert       boolean                     NOT NULL DEFAULT true,
    low_balance_threshold   numeric(10,2)               NOT NULL DEFAULT 100,
    last_billing_date       timestamptz                 NULL,
    next_billing_date       timestamptz                 NULL,
    created_at              timestamptz                 NOT NULL DEFAULT now(),
    updated_at              timestamptz                 NOT NULL DEFAULT now(),
    CONSTRAINT accounts_pkey PRIMARY KEY (id),
    CONSTRAINT accounts_account_number_key UNIQUE (account_number),
    CONSTRAINT accounts_customer_id_fkey FOREIGN KEY (customer_id)
        REFERENCES customers (id) ON DELETE RESTRICT ON UPDATE CASCADE
);

CREATE INDEX accounts_customer_id ON accounts (customer_id);
CREATE INDEX accounts_account_number ON accounts (account_number);
CREATE INDEX accounts_status ON accounts (status);
CREATE INDEX accounts_account_type ON accounts (account_type);
