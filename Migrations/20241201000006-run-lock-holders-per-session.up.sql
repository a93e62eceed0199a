-- Several `rate` runs now hold the rating lock at once (shared; `rerate`
-- takes it alone), so the holders table keeps a row per session, not per lock.
DELETE FROM run_lock_holders;
ALTER TABLE run_lock_holders DROP CONSTRAINT run_lock_holders_pkey;
ALTER TABLE run_lock_holders ADD CONSTRAINT run_lock_holders_pkey PRIMARY KEY (lock_name, backend_pid);
