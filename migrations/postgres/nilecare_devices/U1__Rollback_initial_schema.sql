-- Undo of V1__Initial_schema.sql. The timescaledb extension, if any, is left installed (shared).
DROP TABLE IF EXISTS device_calibration_logs;
DROP TABLE IF EXISTS device_alerts;
DROP TABLE IF EXISTS device_readings CASCADE;
DROP FUNCTION IF EXISTS nilecare_maintain(timestamptz, interval, int);
DROP TABLE IF EXISTS devices;
DROP FUNCTION IF EXISTS nilecare_set_updated_at();
