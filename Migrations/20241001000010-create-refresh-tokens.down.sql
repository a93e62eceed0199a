-- Drops the refresh_tokens table.
DROP TABLE IF EXISTS refresh_tokens;
