-- Drops the rating lock's holder record.
DROP TABLE IF EXISTS run_lock_holders;
