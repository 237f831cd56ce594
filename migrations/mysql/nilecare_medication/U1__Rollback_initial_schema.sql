-- Undo of V1__Initial_schema.sql (triggers go with their table).
DROP TABLE IF EXISTS medication_audit_log;
DROP TABLE IF EXISTS high_alert_medications;
DROP TABLE IF EXISTS mar_entries;
DROP TABLE IF EXISTS prescriptions;
DROP TABLE IF EXISTS medications;
DROP PROCEDURE IF EXISTS sp_check_mar_high_alert;
