-- Undo of V4__Projection_ownership_and_adjudication.sql.
DROP TABLE IF EXISTS fhir_reference_ids;
DROP TABLE IF EXISTS claim_adjudications;
ALTER TABLE billing_adjustments DROP INDEX idx_billing_adjustments_fhir_id, DROP COLUMN fhir_version, DROP COLUMN fhir_id, DROP COLUMN source;
ALTER TABLE invoice_payment_allocations DROP COLUMN source;
ALTER TABLE charge_master DROP COLUMN source;
ALTER TABLE claim_line_items DROP COLUMN procedure_code_system, DROP COLUMN source;
ALTER TABLE insurance_claims DROP COLUMN source;
ALTER TABLE invoice_line_items DROP COLUMN item_code_system, DROP COLUMN source;
ALTER TABLE invoices DROP COLUMN fhir_status, DROP COLUMN source;
ALTER TABLE billing_accounts DROP COLUMN source;
