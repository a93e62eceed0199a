-- rerate goes back to UPDATE alone (the binary of this version checks for the functions).
DROP FUNCTION cdrs_swap_month_rewrite(date);
DROP FUNCTION cdrs_build_month_rewrite(date);
DROP FUNCTION cdrs_open_month_rewrite(date);
