ALTER TABLE rate_plans DROP COLUMN tariff_id;
DROP TABLE tariff_bands;
DROP TABLE tariff_rows;
DROP TABLE tariff_versions;
DROP TABLE tariffs;
