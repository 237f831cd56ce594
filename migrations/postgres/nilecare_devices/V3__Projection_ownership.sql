-- Projection ownership (issue #17): rows written by the FHIR projection are marked source = 'fhir'; rows the
-- device service writes itself (gateway-ingested readings, calibration logs, devices registered locally) keep
-- source NULL, and a rebuild of the projection touches only source = 'fhir' rows. fhir_reference_ids: the
-- FHIR id behind each UUID the projection derived for a non-UUID FHIR id (patient_id columns are UUIDs).
ALTER TABLE devices ADD COLUMN source VARCHAR(16);
ALTER TABLE device_readings ADD COLUMN source VARCHAR(16);
ALTER TABLE device_alerts ADD COLUMN source VARCHAR(16);
COMMENT ON COLUMN devices.source IS 'fhir = projected from the FHIR store; NULL = written by the device service';
COMMENT ON COLUMN device_readings.source IS 'fhir = projected from the FHIR store; NULL = written by the device service';
COMMENT ON COLUMN device_alerts.source IS 'fhir = projected from the FHIR store; NULL = written by the device service';

CREATE TABLE fhir_reference_ids (
  id            UUID        PRIMARY KEY,
  resource_type VARCHAR(64) NOT NULL,
  fhir_id       VARCHAR(64) NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT fhir_reference_ids_resource_key UNIQUE (resource_type, fhir_id)
);
COMMENT ON TABLE fhir_reference_ids IS 'the FHIR id behind each UUID the projection derived for a non-UUID FHIR id';

UPDATE devices SET source = 'fhir' WHERE fhir_id IS NOT NULL;
UPDATE device_alerts SET source = 'fhir' WHERE fhir_id IS NOT NULL;
