-- FHIR projection keys: the FHIR store is the system of record and these rows are projections of its
-- resources (DESIGN.md). fhir_id is the source resource's id (FHIR ids are up to 64 characters),
-- fhir_version its versionId, so a projection writer can upsert idempotently and ignore stale replays.
-- FHIR ids are case-sensitive ASCII: ascii_bin in MySQL, so "a" and "A" are two resources.
ALTER TABLE lab_tests_catalog ADD COLUMN fhir_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL, ADD COLUMN fhir_version INT NULL, ADD UNIQUE INDEX idx_lab_tests_catalog_fhir_id (fhir_id);
ALTER TABLE lab_orders ADD COLUMN fhir_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL, ADD COLUMN fhir_version INT NULL, ADD UNIQUE INDEX idx_lab_orders_fhir_id (fhir_id);
ALTER TABLE lab_specimens ADD COLUMN fhir_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL, ADD COLUMN fhir_version INT NULL, ADD UNIQUE INDEX idx_lab_specimens_fhir_id (fhir_id);
ALTER TABLE lab_results ADD COLUMN fhir_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL, ADD COLUMN fhir_version INT NULL, ADD UNIQUE INDEX idx_lab_results_fhir_id (fhir_id);
