-- Drops the dids table and its enums.
DROP TABLE IF EXISTS dids;
DROP TYPE IF EXISTS enum_dids_did_type;
DROP TYPE IF EXISTS enum_dids_status;
