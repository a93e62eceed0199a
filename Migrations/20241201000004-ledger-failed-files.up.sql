-- The ledger keeps failed files too (status 'failed', the error, nothing
-- stored), so that later runs and 'cdr-rater files' report them.
ALTER TABLE cdr_files DROP CONSTRAINT cdr_files_status_check;
ALTER TABLE cdr_files ADD CONSTRAINT cdr_files_status_check CHECK (status IN ('rated', 'partial', 'failed'));
CREATE INDEX cdr_files_finished_at ON cdr_files (finished_at);
