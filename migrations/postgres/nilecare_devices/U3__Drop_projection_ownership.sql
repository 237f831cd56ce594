-- Undo of V3__Projection_ownership.sql.
DROP TABLE IF EXISTS fhir_reference_ids;
ALTER TABLE devices DROP COLUMN source;
ALTER TABLE device_readings DROP COLUMN source;
ALTER TABLE device_alerts DROP COLUMN source;
