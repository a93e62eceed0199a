-- Creates the subscriptions table (a customer's rate plan on an account) and its enums.
CREATE TYPE enum_subscriptions_status AS ENUM ('active', 'suspended', 'cancelled', 'expired', 'trial');
CREATE TYPE enum_subscriptions_billing_cycle AS ENUM ('monthly', 'annual');

CREATE TABLE subscriptions (
    id                   uuid                             NOT NULL DEFAULT gen_random_uuid(),
    customer_id          uuid                             NOT NULL,
    account_id           uuid                             NOT NULL,
    rate_plan_id         uuid                             NOT NULL,
    subscription_number  varchar(20)                      NOT NULL,
    status               enum_subscriptions_status        NOT NULL DEFAULT 'active',
    billing_cycle        enum_subscriptions_billing_cycle NOT NULL DEFAULT 'monthly',
    start_date           timestamptz                      NOT NULL,
    end_date             timestamptz                      NULL,
    trial_end_date       timestamptz                      NULL,
    next_billing_date    timestamptz                      NULL,
    last_billing_date    timestamptz                      NULL,
    current_period_start timestamptz                      NULL,
    current_period_end   timestamptz                      NULL,
    auto_renew           boolean                          NOT NULL DEFAULT true,
    cancel_at_period_end boolean                          NOT NULL DEFAULT false,
    cancelled_at         timestamptz                      NULL,
    cancellation_reason  text                             NULL,
    addons               jsonb                            NULL,
    metadata             jsonb                            NULL,
    created_at           timestamptz                      NOT NULL DEFAULT now(),
    updated_at           timestamptz                      NOT NULL DEFAULT now(),
    CONSTRAINT subscriptions_pkey PRIMARY KEY (id),
    CONSTRAINT subscriptions_subscription_number_key UNIQUE (subscription_number),
    CONSTRAINT subscriptions_customer_id_fkey FOREIGN KEY (customer_id)
        REFERENCES customers (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT subscriptions_account_id_fkey FOREIGN KEY (account_id)
        REFERENCES accounts (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT subscriptions_rate_plan_id_fkey FOREIGN KEY (rate_plan_id)
        REFERENCES rate_plans (id) ON DELETE RESTRICT ON UPDATE CASCADE
);

CREATE INDEX subscriptions_customer_id ON subscriptions (customer_id);
CREATE INDEX subscriptions_account_id ON subscriptions (account_id);
CREATE INDEX subscriptions_rate_plan_id ON subscriptions (rate_plan_id);
CREATE INDEX subscriptions_subscription_number ON subscriptions (subscription_number);
CREATE INDEX subscriptions_status ON subscriptions (status);
CREATE INDEX subscriptions_next_billing_date ON subscriptions (next_billing_date);
