-- environments: development
-- Removes the demo DIDs, usage, subscriptions, accounts, customers and users seeded by 03-demo-customers (cdrs are kept).
DELETE FROM dids
WHERE did_number IN ('+918041000001', '+912261000001', '+919900000002', '+911246000001', '+9118004190000');

DELETE FROM subscription_usage
WHERE subscription_id IN (SELECT id FROM subscriptions
                          WHERE subscription_number IN ('SUB-10001', 'SUB-10002', 'SUB-10003'));

DELETE FROM subscriptions WHERE subscription_number IN ('SUB-10001', 'SUB-10002', 'SUB-10003');

DELETE FROM accounts WHERE account_number IN ('ACC-10001', 'ACC-10002', 'ACC-10003');

DELETE FROM customers
WHERE user_id IN (SELECT id FROM users WHERE username IN ('john.doe', 'jane.smith', 'acme.corp'));

DELETE FROM users WHERE username IN ('john.doe', 'jane.smith', 'acme.corp');
