-- FHIR projection keys: the FHIR store is the system of record and these rows are projections of its
-- resources (DESIGN.md). fhir_id is the source resource's id (FHIR ids are up to 64 characters),
-- fhir_version its versionId, so a projection writer can upsert idempotently and ignore stale replays.
-- FHIR ids are case-sensitive ASCII: ascii_bin in MySQL, so "a" and "A" are two resources.
ALTER TABLE billing_accounts ADD COLUMN fhir_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL, ADD COLUMN fhir_version INT NULL, ADD UNIQUE INDEX idx_billing_accounts_fhir_id (fhir_id);
ALTER TABLE invoices ADD COLUMN fhir_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL, ADD COLUMN fhir_version INT NULL, ADD UNIQUE INDEX idx_invoices_fhir_id (fhir_id);
ALTER TABLE invoice_line_items ADD COLUMN fhir_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL, ADD COLUMN fhir_version INT NULL, ADD UNIQUE INDEX idx_invoice_line_items_fhir_id (fhir_id);
ALTER TABLE insurance_claims ADD COLUMN fhir_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL, ADD COLUMN fhir_version INT NULL, ADD UNIQUE INDEX idx_insurance_claims_fhir_id (fhir_id);
ALTER TABLE charge_master ADD COLUMN fhir_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL, ADD COLUMN fhir_version INT NULL, ADD UNIQUE INDEX idx_charge_master_fhir_id (fhir_id);
