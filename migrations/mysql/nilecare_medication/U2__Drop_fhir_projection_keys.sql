-- Undo of V2__Add_fhir_projection_keys.sql.
ALTER TABLE medications DROP INDEX idx_medications_fhir_id, DROP COLUMN fhir_id, DROP COLUMN fhir_version;
ALTER TABLE prescriptions DROP INDEX idx_prescriptions_fhir_id, DROP COLUMN fhir_id, DROP COLUMN fhir_version;
ALTER TABLE mar_entries DROP INDEX idx_mar_entries_fhir_id, DROP COLUMN fhir_id, DROP COLUMN fhir_version;
