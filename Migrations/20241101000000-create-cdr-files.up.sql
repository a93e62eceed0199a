-- File ledger: one row per CDR file rated, committed with the file's cdrs rows.
CREATE TABLE cdr_files (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    file_name text NOT NULL,
    path text NOT NULL,
    size_bytes bigint NOT NULL,
    sha256 char(64) NOT NULL CONSTRAINT cdr_files_sha256_key UNIQUE,
    layout varchar(20) NULL,
    status varchar(20) NOT NULL CHECK (status IN ('rated', 'partial')),
    lines integer NOT NULL,
    stored integer NOT NULL,
    unmatched integer NOT NULL,
    duplicates integer NOT NULL,
    rejected integer NOT NULL,
    charged_minutes integer NOT NULL,
    cost numeric(14,4) NOT NULL,
    rejects_path text NULL,
    error text NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cdr_files_counts_add_up CHECK (lines = stored + duplicates + rejected)
);
CREATE INDEX cdr_files_file_name ON cdr_files (file_name);
