-- Undo of V2__Add_fhir_projection_keys.sql.
ALTER TABLE lab_tests_catalog DROP INDEX idx_lab_tests_catalog_fhir_id, DROP COLUMN fhir_id, DROP COLUMN fhir_version;
ALTER TABLE lab_orders DROP INDEX idx_lab_orders_fhir_id, DROP COLUMN fhir_id, DROP COLUMN fhir_version;
ALTER TABLE lab_specimens DROP INDEX idx_lab_specimens_fhir_id, DROP COLUMN fhir_id, DROP COLUMN fhir_version;
ALTER TABLE lab_results DROP INDEX idx_lab_results_fhir_id, DROP COLUMN fhir_id, DROP COLUMN fhir_version;
