-- The ledger of rated and partial files only.
DROP INDEX IF EXISTS cdr_files_finished_at;
DELETE FROM cdr_files WHERE status = 'failed';
ALTER TABLE cdr_files DROP CONSTRAINT cdr_files_status_check;
ALTER TABLE cdr_files ADD CONSTRAINT cdr_files_status_check CHECK (status IN ('rated', 'partial'));
