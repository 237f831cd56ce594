-- Undo of V4__Projection_ownership_and_adjudication.sql (trg_invoices_bu goes back to V2's body).
DROP TRIGGER IF EXISTS trg_invoices_ad;
DROP TRIGGER IF EXISTS trg_invoices_au;
DROP TRIGGER IF EXISTS trg_invoices_ai;
DROP TRIGGER IF EXISTS trg_billing_adjustments_ad;
DROP TRIGGER IF EXISTS trg_billing_adjustments_au;
DROP TRIGGER IF EXISTS trg_billing_adjustments_ai;
DROP TRIGGER IF EXISTS trg_invoice_payment_allocations_ad;
DROP TRIGGER IF EXISTS trg_invoice_payment_allocations_au;
DROP TRIGGER IF EXISTS trg_invoice_payment_allocations_ai;
DROP PROCEDURE IF EXISTS sp_refresh_account_totals;
DROP PROCEDURE IF EXISTS sp_refresh_invoice_paid;
DROP TRIGGER IF EXISTS trg_invoices_bu;
DELIMITER //
CREATE TRIGGER trg_invoices_bu
BEFORE UPDATE ON invoices
FOR EACH ROW
BEGIN
  SET NEW.total_amount = NEW.subtotal + NEW.tax_amount - NEW.discount_amount;
END//
DELIMITER ;
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
