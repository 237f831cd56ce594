-- Undo of V4__Projection_ownership_corrections.sql: it only corrected ownership marks, which U3 drops; nothing to undo.
SELECT 1;
