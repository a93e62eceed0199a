-- Drops the cost history and the rerate runs.
DROP TABLE IF EXISTS cdr_cost_history;
DROP TABLE IF EXISTS rerate_runs;
