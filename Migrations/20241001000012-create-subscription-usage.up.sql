-- Creates the subscription_usage table (minutes and calls per subscription billing period).
CREATE TABLE subscription_usage (
    id                   uuid          NOT NULL DEFAULT gen_random_uuid(),
    subscription_id      uuid          NOT NULL,
    billing_period_start timestamptz   NOT NULL,
    billing_period_end   timestamptz   NOT NULL,
    minutes_included     integer       NOT NULL DEFAULT 0,
    minutes_used         integer       NOT NULL DEFAULT 0,
    minutes_overage      integer       NOT NULL DEFAULT 0,
    overage_cost         numeric(10,2) NOT NULL DEFAULT 0,
    local_calls          integer       NOT NULL DEFAULT 0,
    std_calls            integer       NOT NULL DEFAULT 0,
    isd_calls            integer       NOT NULL DEFAULT 0,
    mobile_calls         integer       NOT NULL DEFAULT 0,
    metadata             jsonb         NULL,
    created_at           timestamptz   NOT NULL DEFAULT now(),
    updated_at           timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT subscription_usage_pkey PRIMARY KEY (id),
    CONSTRAINT subscription_usage_subscription_period_unique UNIQUE (subscription_id, billing_period_start),
    CONSTRAINT subscription_usage_subscription_id_fkey FOREIGN KEY (subscription_id)
        REFERENCES subscriptions (id) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX subscription_usage_subscription_id ON subscription_usage (subscription_id);
CREATE INDEX subscription_usage_billing_period_start_billing_period_end ON subscription_usage (billing_period_start, billing_period_end);
