-- Projection ownership and adjudication (issue #17). Rows written by the FHIR projection are marked
-- source = 'fhir'; rows the billing service writes itself keep source NULL. A rebuild of the projection
-- touches only source = 'fhir' rows (upserted in place), never the service's own rows.
--   * source on every table the projection writes;
--   * invoices.fhir_status: the FHIR Invoice.status, so that balances from payments and adjustments can set
--     pending / partially_paid / paid only while the Invoice is 'issued';
--   * claim_line_items.procedure_code_system, invoice_line_items.item_code_system: the code system of the
--     code beside it (SNOMED CT and CVX codes are not CPT/HCPCS);
--   * billing_adjustments.fhir_id/fhir_version: adjustments projected from a PaymentReconciliation
--     (fhir_id = 'PaymentReconciliation/<id>', one row per invoice adjusted);
--   * claim_adjudications: one row per ClaimResponse / ExplanationOfBenefit (fhir_id = 'Type/<id>'); the
--     claim's status and amounts are those of its latest adjudication (by response created, then lastUpdated),
--     so a later Claim update or a replayed older change cannot reset a paid claim;
--   * fhir_reference_ids: the FHIR id behind each UUID the projection derived for a non-UUID FHIR id.
ALTER TABLE billing_accounts ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the billing service';
ALTER TABLE invoices ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the billing service',
  ADD COLUMN fhir_status VARCHAR(20) NULL COMMENT 'FHIR Invoice.status (projected invoices)';
ALTER TABLE invoice_line_items ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the billing service',
  ADD COLUMN item_code_system VARCHAR(255) NULL COMMENT 'code system of item_code (FHIR Coding.system)';
ALTER TABLE insurance_claims ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the billing service';
ALTER TABLE claim_line_items ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the billing service',
  ADD COLUMN procedure_code_system VARCHAR(255) NULL COMMENT 'code system of procedure_code (FHIR Coding.system)';
ALTER TABLE charge_master ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the billing service';
ALTER TABLE invoice_payment_allocations ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the billing service';
ALTER TABLE billing_adjustments ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the billing service',
  ADD COLUMN fhir_id VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NULL COMMENT 'PaymentReconciliation/<id> of a projected adjustment',
  ADD COLUMN fhir_version INT NULL,
  ADD INDEX idx_billing_adjustments_fhir_id (fhir_id);

CREATE TABLE claim_adjudications (
  id                     CHAR(36)      NOT NULL,
  fhir_id                VARCHAR(100)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'ClaimResponse/<id> or ExplanationOfBenefit/<id>',
  fhir_version           INT           NULL,
  claim_fhir_id          VARCHAR(64)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'the adjudicated Claim (its row may come later)',
  response_created       DATETIME(3)   NULL COMMENT 'FHIR created (UTC)',
  response_updated       DATETIME(3)   NOT NULL COMMENT 'FHIR meta.lastUpdated of this version (UTC)',
  status                 ENUM('draft', 'submitted', 'pending', 'approved', 'partially_approved', 'paid', 'denied', 'appealed', 'resubmitted', 'cancelled') NULL COMMENT 'NULL = the response was withdrawn (cancelled / entered-in-error)',
  allowed_amount         DECIMAL(12,2) NULL,
  paid_amount            DECIMAL(12,2) NULL,
  patient_responsibility DECIMAL(12,2) NULL,
  denial_reason_code     VARCHAR(50)   NULL,
  paid_date              DATETIME      NULL,
  line_adjudications     JSON          NULL COMMENT '[{"line": n, "allowed": x, "paid": y, "status": s}]',
  source                 VARCHAR(16)   NULL COMMENT 'fhir = projected from the FHIR store',
  created_at             TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at             TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_claim_adjudications_fhir_id (fhir_id),
  INDEX idx_claim_adjudications_claim (claim_fhir_id, response_created, response_updated),
  CONSTRAINT chk_claim_adjudications_lines CHECK (line_adjudications IS NULL OR JSON_VALID(line_adjudications))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE fhir_reference_ids (
  id            CHAR(36)    NOT NULL COMMENT 'the UUID stored in *_id columns for this FHIR id',
  resource_type VARCHAR(64) NOT NULL,
  fhir_id       VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at    TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_fhir_reference_ids_resource (resource_type, fhir_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Rows the projection wrote before this version (fhir_id set, or children of such rows) are its own.
UPDATE billing_accounts SET source = 'fhir' WHERE fhir_id IS NOT NULL;
UPDATE invoices SET source = 'fhir',
  fhir_status = CASE status WHEN 'draft' THEN 'draft' WHEN 'paid' THEN 'balanced' WHEN 'cancelled' THEN 'cancelled' WHEN 'void' THEN 'entered-in-error' ELSE 'issued' END
 WHERE fhir_id IS NOT NULL;
UPDATE insurance_claims SET source = 'fhir' WHERE fhir_id IS NOT NULL;
UPDATE charge_master SET source = 'fhir' WHERE fhir_id IS NOT NULL;
-- (invoice_line_items triggers update invoices, which the UPDATE itself must not read: go through a temporary table.)
CREATE TEMPORARY TABLE tmp_projected_invoices AS SELECT id FROM invoices WHERE fhir_id IS NOT NULL;
UPDATE invoice_line_items SET source = 'fhir' WHERE invoice_id IN (SELECT id FROM tmp_projected_invoices);
DROP TEMPORARY TABLE tmp_projected_invoices;
UPDATE claim_line_items l JOIN insurance_claims c ON c.id = l.claim_id SET l.source = 'fhir' WHERE c.fhir_id IS NOT NULL;
UPDATE invoice_payment_allocations a JOIN invoices i ON i.id = a.invoice_id SET a.source = 'fhir' WHERE i.fhir_id IS NOT NULL;

-- Balances kept by the database whoever writes the rows (as V2 keeps the invoice arithmetic), so that they do
-- not depend on the order rows arrive in, and count the billing service's own payments and adjustments too:
--   invoices.paid_amount   = Σ counted allocations (refunds negative; cancelled, draft, failed, pending payments
--                            not counted) + Σ credit adjustments − Σ debit adjustments (never below 0);
--   invoices.status        = while the FHIR Invoice is 'issued': paid when fully paid, else overdue stays overdue,
--                            else partially_paid / pending (other statuses are the writer's);
--   invoices.paid_date     = the date of the last counted allocation once such an invoice is paid;
--   billing_accounts.total_charges / total_payments = Σ total_amount / paid_amount of its live invoices.
DELIMITER //

CREATE PROCEDURE sp_refresh_invoice_paid(IN p_invoice_id CHAR(36))
BEGIN
  UPDATE invoices i
     SET i.paid_amount = GREATEST(0,
           COALESCE((SELECT SUM(CASE WHEN a.allocation_type = 'refund' THEN -a.allocated_amount ELSE a.allocated_amount END)
                       FROM invoice_payment_allocations a
                      WHERE a.invoice_id = i.id
                        AND COALESCE(a.payment_status, 'active') NOT IN ('cancelled', 'draft', 'entered-in-error', 'failed', 'pending')), 0)
         + COALESCE((SELECT SUM(CASE WHEN b.is_credit THEN b.adjustment_amount ELSE -b.adjustment_amount END)
                       FROM billing_adjustments b WHERE b.invoice_id = i.id), 0))
   WHERE i.id = p_invoice_id;
END//

CREATE PROCEDURE sp_refresh_account_totals(IN p_account_id CHAR(36))
BEGIN
  IF p_account_id IS NOT NULL THEN
    UPDATE billing_accounts b
       SET b.total_charges = (SELECT COALESCE(SUM(total_amount), 0) FROM invoices
                               WHERE billing_account_id = b.id AND deleted_at IS NULL AND status NOT IN ('draft', 'cancelled', 'void')),
           b.total_payments = (SELECT COALESCE(SUM(paid_amount), 0) FROM invoices
                               WHERE billing_account_id = b.id AND deleted_at IS NULL AND status NOT IN ('draft', 'cancelled', 'void'))
     WHERE b.id = p_account_id;
  END IF;
END//

CREATE TRIGGER trg_invoice_payment_allocations_ai AFTER INSERT ON invoice_payment_allocations FOR EACH ROW
BEGIN
  CALL sp_refresh_invoice_paid(NEW.invoice_id);
END//
CREATE TRIGGER trg_invoice_payment_allocations_au AFTER UPDATE ON invoice_payment_allocations FOR EACH ROW
BEGIN
  CALL sp_refresh_invoice_paid(NEW.invoice_id);
  IF OLD.invoice_id <> NEW.invoice_id THEN CALL sp_refresh_invoice_paid(OLD.invoice_id); END IF;
END//
CREATE TRIGGER trg_invoice_payment_allocations_ad AFTER DELETE ON invoice_payment_allocations FOR EACH ROW
BEGIN
  CALL sp_refresh_invoice_paid(OLD.invoice_id);
END//
CREATE TRIGGER trg_billing_adjustments_ai AFTER INSERT ON billing_adjustments FOR EACH ROW
BEGIN
  CALL sp_refresh_invoice_paid(NEW.invoice_id);
END//
CREATE TRIGGER trg_billing_adjustments_au AFTER UPDATE ON billing_adjustments FOR EACH ROW
BEGIN
  CALL sp_refresh_invoice_paid(NEW.invoice_id);
  IF OLD.invoice_id <> NEW.invoice_id THEN CALL sp_refresh_invoice_paid(OLD.invoice_id); END IF;
END//
CREATE TRIGGER trg_billing_adjustments_ad AFTER DELETE ON billing_adjustments FOR EACH ROW
BEGIN
  CALL sp_refresh_invoice_paid(OLD.invoice_id);
END//

DROP TRIGGER trg_invoices_bu//
CREATE TRIGGER trg_invoices_bu BEFORE UPDATE ON invoices FOR EACH ROW
BEGIN
  SET NEW.total_amount = NEW.subtotal + NEW.tax_amount - NEW.discount_amount;
  IF NEW.fhir_status = 'issued' THEN
    IF NEW.total_amount > 0 AND NEW.paid_amount >= NEW.total_amount THEN
      SET NEW.status = 'paid';
    ELSEIF NEW.status <> 'overdue' OR NEW.paid_amount >= NEW.total_amount THEN
      SET NEW.status = IF(NEW.paid_amount > 0, 'partially_paid', 'pending');
    END IF;
    SET NEW.paid_date = IF(NEW.status = 'paid',
      (SELECT DATE(MAX(a.allocated_at)) FROM invoice_payment_allocations a
        WHERE a.invoice_id = NEW.id AND COALESCE(a.payment_status, 'active') NOT IN ('cancelled', 'draft', 'entered-in-error', 'failed', 'pending')),
      NULL);
  END IF;
END//

CREATE TRIGGER trg_invoices_ai AFTER INSERT ON invoices FOR EACH ROW
BEGIN
  CALL sp_refresh_account_totals(NEW.billing_account_id);
END//
CREATE TRIGGER trg_invoices_au AFTER UPDATE ON invoices FOR EACH ROW
BEGIN
  CALL sp_refresh_account_totals(NEW.billing_account_id);
  IF NOT (OLD.billing_account_id <=> NEW.billing_account_id) THEN CALL sp_refresh_account_totals(OLD.billing_account_id); END IF;
END//
CREATE TRIGGER trg_invoices_ad AFTER DELETE ON invoices FOR EACH ROW
BEGIN
  CALL sp_refresh_account_totals(OLD.billing_account_id);
END//

DELIMITER ;
