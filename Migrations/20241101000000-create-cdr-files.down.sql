-- Drops the file ledger.
DROP TABLE IF EXISTS cdr_files;
