-- The seed's full btrees on processing_status and call_type again.
DROP INDEX cdrs_unprocessed, cdrs_isd_toll_free;
CREATE INDEX cdrs_processing_status ON cdrs (processing_status);
CREATE INDEX cdrs_call_type ON cdrs (call_type);
