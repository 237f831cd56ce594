-- FHIR projection keys: the FHIR store is the system of record and these rows are projections of its
-- resources (DESIGN.md). fhir_id is the source resource's id (FHIR ids are up to 64 characters),
-- fhir_version its versionId, so a projection writer can upsert idempotently and ignore stale replays.
-- FHIR ids are case-sensitive ASCII: ascii_bin in MySQL, so "a" and "A" are two resources.
ALTER TABLE medications ADD COLUMN fhir_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL, ADD COLUMN fhir_version INT NULL, ADD UNIQUE INDEX idx_medications_fhir_id (fhir_id);
ALTER TABLE prescriptions ADD COLUMN fhir_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL, ADD COLUMN fhir_version INT NULL, ADD UNIQUE INDEX idx_prescriptions_fhir_id (fhir_id);
ALTER TABLE mar_entries ADD COLUMN fhir_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL, ADD COLUMN fhir_version INT NULL, ADD UNIQUE INDEX idx_mar_entries_fhir_id (fhir_id);
