-- environments: development
-- Removes the demo customer, plans and tariffs seeded by 04-demo-tariff (cdrs are kept; a tariff that a
-- plan other than the demo plans names is kept, with its versions).
DELETE FROM dids WHERE did_number IN ('+914442000001', '+914442000002', '+9118004250000');

DELETE FROM subscription_usage
WHERE subscription_id IN (SELECT id FROM subscriptions WHERE subscription_number IN ('SUB-10004', 'SUB-10005'));

DELETE FROM subscriptions WHERE subscription_number IN ('SUB-10004', 'SUB-10005');

DELETE FROM accounts WHERE account_number IN ('ACC-10004', 'ACC-10005');

DELETE FROM customers WHERE user_id IN (SELECT id FROM users WHERE username = 'priya.nair');

DELETE FROM users WHERE username = 'priya.nair';

DELETE FROM rate_plans WHERE name IN ('India Saver', 'India Saver Per Second');

DELETE FROM tariffs t
WHERE t.name IN ('India Saver', 'India Saver Per Second')
  AND NOT EXISTS (SELECT 1 FROM rate_plans p WHERE p.tariff_id = t.id);
