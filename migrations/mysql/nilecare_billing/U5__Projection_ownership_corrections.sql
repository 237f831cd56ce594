-- Undo of V5__Projection_ownership_corrections.sql: it only corrected data (ownership marks, balances), which
-- U4 drops or V4's triggers keep; nothing to undo.
SELECT 1;
