-- environments: development
-- Seeds the demo tariffs of SPEC 3c and a demo customer priced by them; skips rows that already exist.
-- Two tariffs, one version each from 2024-01-01 00:00 in the business zone, as 'cdr-rater tariffs import'
-- stores Seeds/demo-tariff/india-saver.csv and india-saver-per-second.csv with bands.csv (the same rows,
-- lines and bands; an integration test compares the two): Indian destinations in the bundle (landline,
-- mobile, toll-free), in 60 s pulses in "India Saver" and per second in "India Saver Per Second"; the ISD
-- countries +1, +44 (peak and offpeak), +65 and +971 priced apart; no catch-all, so any other country has no
-- price. Two demo plans name them; customer Kaveri Textiles (user priya.nair) has one subscription on each.

-- The tariffs, and each one's first version when it has none (a tariff imported since is left as it is).
INSERT INTO tariffs (name) VALUES ('India Saver'), ('India Saver Per Second') ON CONFLICT (name) DO NOTHING;

INSERT INTO tariff_versions (tariff_id, effective_from, source)
SELECT t.id,
       timestamp '2024-01-01 00:00:00'
           AT TIME ZONE coalesce((SELECT value FROM billing_settings WHERE name = 'business_zone'), 'Asia/Kolkata'),
       v.source
FROM (VALUES
    ('India Saver',            'Seeds/demo-tariff/india-saver.csv'),
    ('India Saver Per Second', 'Seeds/demo-tariff/india-saver-per-second.csv')
) AS v(tariff, source)
JOIN tariffs t ON t.name = v.tariff
WHERE NOT EXISTS (SELECT 1 FROM tariff_versions x WHERE x.tariff_id = t.id);

-- The rows of a version just made (an imported version always has rows), by their line in the CSV file:
-- the domestic rows' pulse is 60 s in India Saver, 1 s in India Saver Per Second.
INSERT INTO tariff_rows (version_id, line, prefix, destination, band, from_second, rate, unit_seconds,
                         increment_seconds, connect_fee, in_bundle, rounding, decimals, max_cost)
SELECT tv.id, r.line, r.prefix, r.destination, r.band, 0, r.rate, 60,
       CASE WHEN r.domestic AND t.name = 'India Saver Per Second' THEN 1 ELSE r.increment_seconds END,
       r.connect_fee, r.domestic, 'half_up', 4, NULL
FROM tariffs t
JOIN tariff_versions tv ON tv.tariff_id = t.id
CROSS JOIN (VALUES
    ( 2, '+91',     'India Landline',       '*',       0.60, 60, 0,    true),
    ( 3, '+916',    'India Mobile',         '*',       0.50, 60, 0,    true),
    ( 4, '+917',    'India Mobile',         '*',       0.50, 60, 0,    true),
    ( 5, '+918',    'India Mobile',         '*',       0.50, 60, 0,    true),
    ( 6, '+919',    'India Mobile',         '*',       0.50, 60, 0,    true),
    ( 7, '+911800', 'India Toll-Free',      '*',       0.50, 60, 0,    true),
    ( 8, '+911860', 'India Toll-Free',      '*',       0.50, 60, 0,    true),
    ( 9, '+1',      'USA & Canada',         '*',       1.20, 60, 0,    false),
    (10, '+44',     'United Kingdom',       'peak',    6.00, 30, 0.50, false),
    (11, '+44',     'United Kingdom',       'offpeak', 4.20, 30, 0.50, false),
    (12, '+65',     'Singapore',            '*',       3.00, 60, 0,    false),
    (13, '+971',    'United Arab Emirates', '*',       7.80, 60, 0,    false)
) AS r(line, prefix, destination, band, rate, increment_seconds, connect_fee, domestic)
WHERE t.name IN ('India Saver', 'India Saver Per Second')
  AND tv.source IN ('Seeds/demo-tariff/india-saver.csv', 'Seeds/demo-tariff/india-saver-per-second.csv')
  AND NOT EXISTS (SELECT 1 FROM tariff_rows x WHERE x.version_id = tv.id);

-- Bands (bands.csv), for those versions that have none yet: offpeak all day, peak Monday to Saturday 08:00 to 20:00.
INSERT INTO tariff_bands (version_id, line, band, days, start_second, priority)
SELECT tv.id, b.line, b.band, b.days, b.start_second, 0
FROM tariffs t
JOIN tariff_versions tv ON tv.tariff_id = t.id
CROSS JOIN (VALUES
    (2, 'offpeak', '*',       0),
    (3, 'peak',    'mon-sat', 8 * 3600),
    (4, 'offpeak', 'mon-sat', 20 * 3600)
) AS b(line, band, days, start_second)
WHERE t.name IN ('India Saver', 'India Saver Per Second')
  AND tv.source IN ('Seeds/demo-tariff/india-saver.csv', 'Seeds/demo-tariff/india-saver-per-second.csv')
  AND NOT EXISTS (SELECT 1 FROM tariff_bands x WHERE x.version_id = tv.id);

-- The demo plans. overage_rate_per_minute is not what prices their calls (the tariff does); it is the
-- deck's mobile rate, for what lists plans.
INSERT INTO rate_plans (name, description, plan_type, monthly_price, annual_price, setup_fee,
                        included_minutes, included_dids, max_concurrent_calls,
                        overage_rate_per_minute, did_monthly_rate, features, is_active, tariff_id)
SELECT v.name, v.description, v.plan_type::enum_rate_plans_plan_type, v.monthly_price, v.annual_price, 0,
       v.included_minutes, v.included_dids, v.max_concurrent_calls, 0.5000, v.did_monthly_rate,
       v.features::jsonb, true, t.id
FROM (VALUES
    ('India Saver',
     'Demo prepaid plan priced by the India Saver tariff: 100 minutes of Indian calls (60 s pulses), ISD priced by country and time band.',
     'prepaid', 199.00, 2148.00, 100, 1, 2, 99.00,
     '{"voicemail": true, "call_forwarding": true, "email_support": true}'),
    ('India Saver Per Second',
     'Demo postpaid plan priced by the India Saver Per Second tariff: 60 minutes of Indian calls billed per second, ISD priced by country and time band.',
     'postpaid', 299.00, 3228.00, 60, 2, 3, 79.00,
     '{"voicemail": true, "call_forwarding": true, "email_support": true, "per_second_billing": true}')
) AS v(name, description, plan_type, monthly_price, annual_price, included_minutes, included_dids,
       max_concurrent_calls, did_monthly_rate, features)
JOIN tariffs t ON t.name = v.name
ON CONFLICT (name) DO NOTHING;

-- The demo customer (password Demo@123, bcrypt cost 12), its two accounts, subscriptions and DIDs.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

INSERT INTO users (username, email, password, first_name, last_name, phone_number, role,
                   is_active, is_email_verified, is_phone_verified, mfa_enabled, password_changed_at)
SELECT 'priya.nair', 'priya.nair@example.com', crypt('Demo@123', gen_salt('bf', 12)), 'Priya', 'Nair',
       '+919876543215', 'customer'::enum_users_role, true, true, true, false, now()
WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.username = 'priya.nair' OR u.email = 'priya.nair@example.com');

INSERT INTO customers (user_id, company_name, business_type, gstin, pan, billing_address,
                       billing_city, billing_state, billing_country, billing_pincode,
                       status, credit_limit, kyc_status)
SELECT u.id, 'Kaveri Textiles', 'small_business', '33ABCDE1234F1Z5', NULL,
       '14, Anna Salai, Thousand Lights', 'Chennai', 'Tamil Nadu', 'India', '600002',
       'active', 25000.00, 'verified'
FROM users u
WHERE u.username = 'priya.nair'
  AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.user_id = u.id);

INSERT INTO accounts (customer_id, account_number, account_type, balance, credit_limit, status,
                      currency, billing_cycle, billing_day, auto_recharge, auto_recharge_amount,
                      auto_recharge_threshold, low_balance_alert, low_balance_threshold)
SELECT c.id, v.account_number, v.account_type::enum_accounts_account_type, v.balance, v.credit_limit,
       'active', 'INR', 'monthly', 1, false, NULL, NULL, true, 100.00
FROM (VALUES
    ('ACC-10004', 'prepaid',  1000.00,     0.00),
    ('ACC-10005', 'postpaid',    0.00, 25000.00)
) AS v(account_number, account_type, balance, credit_limit)
JOIN users u ON u.username = 'priya.nair'
JOIN customers c ON c.user_id = u.id
ON CONFLICT (account_number) DO NOTHING;

INSERT INTO subscriptions (customer_id, account_id, rate_plan_id, subscription_number, status,
                           billing_cycle, start_date, end_date, cancelled_at, auto_renew)
SELECT a.customer_id, a.id, p.id, v.subscription_number, 'active', 'monthly', v.start_date::timestamptz,
       NULL, NULL, true
FROM (VALUES
    ('SUB-10004', 'ACC-10004', 'India Saver',            '2024-10-01 00:00:00+05:30'),
    ('SUB-10005', 'ACC-10005', 'India Saver Per Second', '2024-09-20 12:00:00+05:30')
) AS v(subscription_number, account_number, plan_name, start_date)
JOIN accounts a ON a.account_number = v.account_number
JOIN rate_plans p ON p.name = v.plan_name
ON CONFLICT (subscription_number) DO NOTHING;

INSERT INTO dids (subscription_id, did_number, country, country_code, did_type, status,
                  monthly_rate, assigned_at)
SELECT s.id, v.did_number, 'IN', '+91', v.did_type::enum_dids_did_type, 'assigned',
       p.did_monthly_rate, s.start_date
FROM (VALUES
    ('SUB-10004', '+914442000001',  'local'),
    ('SUB-10005', '+914442000002',  'local'),
    ('SUB-10005', '+9118004250000', 'toll_free')
) AS v(subscription_number, did_number, did_type)
JOIN subscriptions s ON s.subscription_number = v.subscription_number
JOIN rate_plans p ON p.id = s.rate_plan_id
ON CONFLICT (did_number) DO NOTHING;
