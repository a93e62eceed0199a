-- Drops the index of calls holding included minutes.
DROP INDEX IF EXISTS cdrs_holding_included_minutes;
