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
