ALTER TABLE cdr_files
    DROP CONSTRAINT cdr_files_accepted_partial,
    DROP COLUMN accepted_by,
    DROP COLUMN accepted_at;
