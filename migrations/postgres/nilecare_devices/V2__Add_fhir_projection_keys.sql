-- FHIR projection keys: the FHIR store is the system of record and these rows are projections of its
-- resources (DESIGN.md). fhir_id is the source resource's id (FHIR ids are up to 64 characters),
-- fhir_version its versionId, so a projection writer can upsert idempotently and ignore stale replays.
ALTER TABLE devices ADD COLUMN fhir_id VARCHAR(64), ADD COLUMN fhir_version INT;
CREATE UNIQUE INDEX idx_devices_fhir_id ON devices (fhir_id);
ALTER TABLE device_alerts ADD COLUMN fhir_id VARCHAR(64), ADD COLUMN fhir_version INT;
CREATE UNIQUE INDEX idx_device_alerts_fhir_id ON device_alerts (fhir_id);
ALTER TABLE device_calibration_logs ADD COLUMN fhir_id VARCHAR(64), ADD COLUMN fhir_version INT;
CREATE UNIQUE INDEX idx_device_calibration_logs_fhir_id ON device_calibration_logs (fhir_id);
