-- Undo of V3__Add_fhir_projection_keys.sql.
ALTER TABLE billing_accounts DROP INDEX idx_billing_accounts_fhir_id, DROP COLUMN fhir_id, DROP COLUMN fhir_version;
ALTER TABLE invoices DROP INDEX idx_invoices_fhir_id, DROP COLUMN fhir_id, DROP COLUMN fhir_version;
ALTER TABLE invoice_line_items DROP INDEX idx_invoice_line_items_fhir_id, DROP COLUMN fhir_id, DROP COLUMN fhir_version;
ALTER TABLE insurance_claims DROP INDEX idx_insurance_claims_fhir_id, DROP COLUMN fhir_id, DROP COLUMN fhir_version;
ALTER TABLE charge_master DROP INDEX idx_charge_master_fhir_id, DROP COLUMN fhir_id, DROP COLUMN fhir_version;
