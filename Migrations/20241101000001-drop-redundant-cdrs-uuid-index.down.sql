-- Restores the plain index of the original schema.
CREATE INDEX cdrs_uuid ON cdrs (uuid);
