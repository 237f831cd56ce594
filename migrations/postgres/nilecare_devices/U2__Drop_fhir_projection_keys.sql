-- Undo of V2__Add_fhir_projection_keys.sql.
DROP INDEX IF EXISTS idx_devices_fhir_id;
ALTER TABLE devices DROP COLUMN fhir_id, DROP COLUMN fhir_version;
DROP INDEX IF EXISTS idx_device_alerts_fhir_id;
ALTER TABLE device_alerts DROP COLUMN fhir_id, DROP COLUMN fhir_version;
DROP INDEX IF EXISTS idx_device_calibration_logs_fhir_id;
ALTER TABLE device_calibration_logs DROP COLUMN fhir_id, DROP COLUMN fhir_version;
