-- Creates the dids table (phone numbers assigned to subscriptions) and its enums.
CREATE TYPE enum_dids_did_type AS ENUM ('local', 'toll_free', 'mobile', 'national');
CREATE TYPE enum_dids_status AS ENUM ('available', 'assigned', 'reserved', 'suspended', 'ported_out');

CREATE TABLE dids (
    id                uuid               NOT NULL DEFAULT gen_random_uuid(),
    subscription_id   uuid               NULL,
    did_number        varchar(20)        NOT NULL,
    country           varchar(2)         NOT NULL,
    country_code      varchar(5)         NOT NULL,
    did_type          enum_dids_did_type NOT NULL DEFAULT 'local',
    status            enum_dids_status   NOT NULL DEFAULT 'available',
    monthly_rate      numeric(10,2)      NOT NULL DEFAULT 0,
    setup_fee         numeric(10,2)      NOT NULL DEFAULT 0,
    assigned_at       timestamptz        NULL,
    released_at       timestamptz        NULL,
    forwarding_number varchar(20)        NULL,
    features          jsonb              NULL,
    metadata          jsonb              NULL,
    created_at        timestamptz        NOT NULL DEFAULT now(),
    updated_at        timestamptz        NOT NULL DEFAULT now(),
    CONSTRAINT dids_pkey PRIMARY KEY (id),
    CONSTRAINT dids_did_number_key UNIQUE (did_number),
    CONSTRAINT dids_subscription_id_fkey FOREIGN KEY (subscription_id)
        REFERENCES subscriptions (id) ON DELETE SET NULL ON UPDATE CASCADE
);

CREATE INDEX dids_subscription_id ON dids (subscription_id);
CREATE INDEX dids_did_number ON dids (did_number);
CREATE INDEX dids_status ON dids (status);
CREATE INDEX dids_country ON dids (country);
