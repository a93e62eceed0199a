-- Database-wide billing settings. business_zone: the zone usage periods are
-- computed in, the same for every run whatever zone its switches write in.
CREATE TABLE billing_settings (
    name       text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO billing_settings (name, value) VALUES ('business_zone', 'Asia/Kolkata');
