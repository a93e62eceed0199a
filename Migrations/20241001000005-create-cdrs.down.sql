-- Drops the cdrs table and its enums.
DROP TABLE IF EXISTS cdrs;
DROP TYPE IF EXISTS enum_cdrs_call_direction;
DROP TYPE IF EXISTS enum_cdrs_call_type;
DROP TYPE IF EXISTS enum_cdrs_call_status;
DROP TYPE IF EXISTS enum_cdrs_processing_status;
