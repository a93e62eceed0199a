-- The seed's single-column btrees on two low-cardinality enums of cdrs,
-- processing_status and call_type, become partial indexes that hold only the
-- rows their queries look for (issue 17, the ingest margin). Every COPY into a
-- month paid an index insert for every row in each of them, while a query by
-- one of their common values ('processed'; 'local', 'std', 'mobile') selects a
-- large share of a month, which the planner reads by a scan of the month (or by
-- its time and subscription indexes), not by these. What stays index-backed,
-- each month:
--   the calls still to process: processing_status 'pending', 'failed' (no
--   subscription matched, no price) or 'retrying';
--   the calls of the two rare and costly-to-miss types: 'isd' and 'toll_free'.
-- Applied to cdrs, these reach every month: those attached now, and those
-- made later (partitions ensure, rate, the bulk path and the month rewrite all
-- build the indexes cdrs has). A month detached for archiving keeps its old ones.
DROP INDEX cdrs_processing_status, cdrs_call_type;
-- One column each, as the seed's: its equal keys share posting lists (btree
-- deduplication) and a new row's entry goes to the last leaf of its value, a
-- page in memory. A second column such as start_time, in no order in a file,
-- would send each insert to a leaf at random.
CREATE INDEX cdrs_unprocessed ON cdrs (processing_status) WHERE processing_status <> 'processed';
CREATE INDEX cdrs_isd_toll_free ON cdrs (call_type) WHERE call_type IN ('isd', 'toll_free');
