-- A partial file (its gzip ends early) can be accepted as final by an
-- operator ('cdr-rater files accept FILE') when the complete file no longer
-- exists: who and when are kept, and later runs treat it as rated.
ALTER TABLE cdr_files
    ADD COLUMN accepted_at timestamptz NULL,
    ADD COLUMN accepted_by text NULL,
    ADD CONSTRAINT cdr_files_accepted_partial CHECK (accepted_at IS NULL OR (status = 'partial' AND accepted_by IS NOT NULL));
