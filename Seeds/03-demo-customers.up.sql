-- environments: development
-- Seeds three demo customers (users, customers, accounts, subscriptions, DIDs) with fixed dates; skips rows that already exist.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- Users (password Demo@123, bcrypt cost 12; hashed only for rows actually inserted).
INSERT INTO users (username, email, password, first_name, last_name, phone_number, role,
                   is_active, is_email_verified, is_phone_verified, mfa_enabled, password_changed_at)
SELECT v.username, v.email, crypt('Demo@123', gen_salt('bf', 12)), v.first_name, v.last_name,
       v.phone_number, 'customer'::enum_users_role, true, true, true, false, now()
FROM (VALUES
    ('john.doe',   'john.doe@example.com',   'John',   'Doe',     '+919876543212'),
    ('jane.smith', 'jane.smith@example.com', 'Jane',   'Smith',   '+919876543213'),
    ('acme.corp',  'admin@acmecorp.com',     'Robert', 'Johnson', '+919876543214')
) AS v(username, email, first_name, last_name, phone_number)
WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.username = v.username OR u.email = v.email);

-- Customers, one per demo user (keyed on user_id).
INSERT INTO customers (user_id, company_name, business_type, gstin, pan, billing_address,
                       billing_city, billing_state, billing_country, billing_pincode,
                       status, credit_limit, kyc_status)
SELECT u.id, v.company_name, v.business_type::enum_customers_business_type, v.gstin, v.pan,
       v.billing_address, v.billing_city, v.billing_state, 'India', v.billing_pincode,
       'active', v.credit_limit, 'verified'
FROM (VALUES
    ('john.doe',   NULL,               'individual',     NULL,              'ABCDE1234F',
     '12, 3rd Cross, MG Road',                        'Bangalore', 'Karnataka',   '560001',     0.00),
    ('jane.smith', 'Smith Consulting', 'small_business', '29ABCDE1234F1Z5', NULL,
     '501, Nariman Bhavan, Nariman Point',            'Mumbai',    'Maharashtra', '400001',  5000.00),
    ('acme.corp',  'Acme Corporation', 'enterprise',     '07ABCDE1234F1Z5', NULL,
     'Tower B, 8th Floor, DLF Cyber City, Phase II',  'Gurugram',  'Haryana',     '122001', 50000.00)
) AS v(username, company_name, business_type, gstin, pan,
       billing_address, billing_city, billing_state, billing_pincode, credit_limit)
JOIN users u ON u.username = v.username
WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.user_id = u.id);

-- Accounts (INR, monthly, billing day 1).
INSERT INTO accounts (customer_id, account_number, account_type, balance, credit_limit, status,
                      currency, billing_cycle, billing_day, auto_recharge, auto_recharge_amount,
                      auto_recharge_threshold, low_balance_alert, low_balance_threshold)
SELECT c.id, v.account_number, v.account_type::enum_accounts_account_type, v.balance, v.credit_limit,
       'active', 'INR', 'monthly', 1, v.auto_recharge, v.auto_recharge_amount,
       v.auto_recharge_threshold, true, v.low_balance_threshold
FROM (VALUES
    ('john.doe',   'ACC-10001', 'prepaid',   500.00,     0.00, false, NULL::numeric, NULL::numeric, 100.00),
    ('jane.smith', 'ACC-10002', 'prepaid',  2000.00,     0.00, true,  1000.00,       500.00,        100.00),
    ('acme.corp',  'ACC-10003', 'postpaid',    0.00, 50000.00, false, NULL,          NULL,          100.00)
) AS v(username, account_number, account_type, balance, credit_limit, auto_recharge,
       auto_recharge_amount, auto_recharge_threshold, low_balance_threshold)
JOIN users u ON u.username = v.username
JOIN customers c ON c.user_id = u.id
ON CONFLICT (account_number) DO NOTHING;

-- Subscriptions, all active, fixed start dates (Asia/Kolkata).
INSERT INTO subscriptions (customer_id, account_id, rate_plan_id, subscription_number, status,
                           billing_cycle, start_date, end_date, cancelled_at, auto_renew)
SELECT a.customer_id, a.id, p.id, v.subscription_number, 'active',
       v.billing_cycle::enum_subscriptions_billing_cycle, v.start_date::timestamptz, NULL, NULL, true
FROM (VALUES
    ('SUB-10001', 'ACC-10001', 'Starter',      'monthly', '2024-10-01 00:00:00+05:30'),
    ('SUB-10002', 'ACC-10002', 'Professional', 'annual',  '2024-09-15 09:30:00+05:30'),
    ('SUB-10003', 'ACC-10003', 'Call Center',  'monthly', '2024-01-31 10:00:00+05:30')
) AS v(subscription_number, account_number, plan_name, billing_cycle, start_date)
JOIN accounts a ON a.account_number = v.account_number
JOIN rate_plans p ON p.name = v.plan_name
ON CONFLICT (subscription_number) DO NOTHING;

-- DIDs, assigned at the subscription's start date, at the plan's DID rate.
INSERT INTO dids (subscription_id, did_number, country, country_code, did_type, status,
                  monthly_rate, assigned_at)
SELECT s.id, v.did_number, 'IN', '+91', v.did_type::enum_dids_did_type, 'assigned',
       p.did_monthly_rate, s.start_date
FROM (VALUES
    ('SUB-10001', '+918041000001',  'local'),
    ('SUB-10002', '+912261000001',  'local'),
    ('SUB-10002', '+919900000002',  'mobile'),
    ('SUB-10003', '+911246000001',  'national'),
    ('SUB-10003', '+9118004190000', 'toll_free')
) AS v(subscription_number, did_number, did_type)
JOIN subscriptions s ON s.subscription_number = v.subscription_number
JOIN rate_plans p ON p.id = s.rate_plan_id
ON CONFLICT (did_number) DO NOTHING;
