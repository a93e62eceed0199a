-- Tariffs (SPEC 3c): named rate decks with dated versions. A version is
-- never edited: a correction is a new version with the same effective_from,
-- and of equal dates the one made last (the highest id, from one identity
-- sequence) is in force. A rate plan may name a tariff; a plan without one
-- is priced as before.
CREATE TABLE tariffs (
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tariffs_pkey PRIMARY KEY (id),
    CONSTRAINT tariffs_name_key UNIQUE (name),
    CONSTRAINT tariffs_name_not_empty CHECK (name <> '')
);

CREATE TABLE tariff_versions (
    id             bigint      GENERATED ALWAYS AS IDENTITY,
    tariff_id      bigint      NOT NULL,
    effective_from timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- The file it was imported from, for people.
    source         text        NULL,
    CONSTRAINT tariff_versions_pkey PRIMARY KEY (id),
    CONSTRAINT tariff_versions_tariff_id_fkey FOREIGN KEY (tariff_id) REFERENCES tariffs (id) ON DELETE CASCADE
);

-- The version in force at t: latest effective_from <= t, the latest made among equals.
CREATE INDEX tariff_versions_in_force ON tariff_versions (tariff_id, effective_from DESC, id DESC);

CREATE TABLE tariff_rows (
    version_id        bigint   NOT NULL,
    -- The row's line in the imported file: export writes the rows in this order.
    line              integer  NOT NULL,
    prefix            text     NOT NULL,
    destination       text     NOT NULL DEFAULT '',
    band              text     NOT NULL DEFAULT '*',
    from_second       integer  NOT NULL DEFAULT 0,
    rate              numeric  NOT NULL,
    unit_seconds      integer  NOT NULL DEFAULT 60,
    increment_seconds integer  NOT NULL DEFAULT 60,
    connect_fee       numeric  NOT NULL DEFAULT 0,
    in_bundle         boolean  NOT NULL DEFAULT true,
    rounding          text     NOT NULL DEFAULT 'half_up',
    decimals          smallint NOT NULL DEFAULT 4,
    max_cost          numeric  NULL,
    CONSTRAINT tariff_rows_pkey PRIMARY KEY (version_id, prefix, band, from_second),
    CONSTRAINT tariff_rows_version_id_fkey FOREIGN KEY (version_id) REFERENCES tariff_versions (id) ON DELETE CASCADE,
    CONSTRAINT tariff_rows_prefix CHECK (prefix = '*' OR prefix ~ '^\+?[0-9]+$'),
    CONSTRAINT tariff_rows_from_second CHECK (from_second >= 0),
    CONSTRAINT tariff_rows_amounts CHECK (rate >= 0 AND connect_fee >= 0 AND (max_cost IS NULL OR max_cost >= 0)),
    CONSTRAINT tariff_rows_seconds CHECK (unit_seconds > 0 AND increment_seconds > 0),
    CONSTRAINT tariff_rows_rounding CHECK (rounding IN ('up', 'half_up', 'down')),
    CONSTRAINT tariff_rows_decimals CHECK (decimals BETWEEN 0 AND 4)
);

CREATE TABLE tariff_bands (
    version_id   bigint  NOT NULL,
    -- The line in the bands file.
    line         integer NOT NULL,
    band         text    NOT NULL,
    days         text    NOT NULL,
    start_second integer NOT NULL,
    priority     integer NOT NULL DEFAULT 0,
    CONSTRAINT tariff_bands_pkey PRIMARY KEY (version_id, line),
    CONSTRAINT tariff_bands_version_id_fkey FOREIGN KEY (version_id) REFERENCES tariff_versions (id) ON DELETE CASCADE,
    CONSTRAINT tariff_bands_start CHECK (start_second BETWEEN 0 AND 86399),
    CONSTRAINT tariff_bands_band CHECK (band <> '' AND band <> '*')
);

ALTER TABLE rate_plans ADD COLUMN tariff_id bigint NULL
    CONSTRAINT rate_plans_tariff_id_fkey REFERENCES tariffs (id);
