-- Undo of V1__Initial_schema.sql (triggers go with their table).
DROP TABLE IF EXISTS lab_results;
DROP TABLE IF EXISTS lab_specimens;
DROP TABLE IF EXISTS lab_orders;
DROP TABLE IF EXISTS lab_tests_catalog;
