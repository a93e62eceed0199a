-- Back to one holder row per lock.
DELETE FROM run_lock_holders;
ALTER TABLE run_lock_holders DROP CONSTRAINT run_lock_holders_pkey;
ALTER TABLE run_lock_holders ADD CONSTRAINT run_lock_holders_pkey PRIMARY KEY (lock_name);
