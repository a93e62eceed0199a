-- environments: development, production
-- Removes the three rate plans seeded by 02-rate-plans.
DELETE FROM rate_plans WHERE name IN ('Starter', 'Professional', 'Call Center');
