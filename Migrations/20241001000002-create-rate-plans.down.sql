-- Drops the rate_plans table and its plan_type enum.
DROP TABLE IF EXISTS rate_plans;
DROP TYPE IF EXISTS enum_rate_plans_plan_type;
