-- nilecare_billing: accounts, invoices and their lines, insurance claims, adjustments, statements,
-- the charge master, audit, reminders and payment allocations (schema reference §MySQL 2).
-- Amounts are DECIMAL in the invoice currency (default SDG). Columns beyond the reference
-- (created_at/updated_at everywhere, deleted_at on business entities, invoices.description /
-- patient_notes and charge_master.item_description used by the documented FULLTEXT indexes,
-- invoices.appointment_id from the ER diagram) are listed in migrations/README.md.

CREATE TABLE billing_accounts (
  id                  CHAR(36)      NOT NULL DEFAULT (UUID()),
  account_number      VARCHAR(50)   NOT NULL COMMENT 'BA-YYYYMMDD-XXXXXX',
  patient_id          CHAR(36)      NOT NULL,
  total_charges       DECIMAL(12,2) NOT NULL DEFAULT 0,
  total_payments      DECIMAL(12,2) NOT NULL DEFAULT 0,
  balance_due         DECIMAL(12,2) GENERATED ALWAYS AS (total_charges - total_payments) STORED,
  status              ENUM('active', 'inactive', 'collections', 'paid_in_full', 'suspended', 'closed') NOT NULL DEFAULT 'active',
  payment_plan_active BOOLEAN       NOT NULL DEFAULT FALSE,
  payment_plan_amount DECIMAL(12,2) NULL,
  currency            VARCHAR(3)    NOT NULL DEFAULT 'SDG',
  created_at          TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at          TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at          TIMESTAMP     NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_billing_accounts_account_number (account_number),
  INDEX idx_billing_accounts_patient_id (patient_id),
  INDEX idx_billing_accounts_status (status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE invoices (
  id                 CHAR(36)      NOT NULL DEFAULT (UUID()),
  invoice_number     VARCHAR(50)   NOT NULL COMMENT 'INV-YYYYMMDD-XXXXXX',
  patient_id         CHAR(36)      NOT NULL,
  facility_id        CHAR(36)      NOT NULL,
  billing_account_id CHAR(36)      NULL,
  appointment_id     CHAR(36)      NULL,
  invoice_type       ENUM('standard', 'insurance', 'emergency', 'inpatient', 'outpatient', 'pharmacy', 'laboratory', 'radiology', 'credit_note') NOT NULL DEFAULT 'standard',
  description        TEXT          NULL,
  patient_notes      TEXT          NULL,
  subtotal           DECIMAL(12,2) NOT NULL DEFAULT 0 COMMENT 'sum of invoice_line_items.line_total (kept by triggers)',
  tax_amount         DECIMAL(12,2) NOT NULL DEFAULT 0,
  discount_amount    DECIMAL(12,2) NOT NULL DEFAULT 0,
  total_amount       DECIMAL(12,2) NOT NULL DEFAULT 0 COMMENT 'subtotal + tax - discount (kept by triggers)',
  paid_amount        DECIMAL(12,2) NOT NULL DEFAULT 0,
  balance_due        DECIMAL(12,2) GENERATED ALWAYS AS (total_amount - paid_amount) STORED,
  status             ENUM('draft', 'pending', 'partially_paid', 'paid', 'overdue', 'cancelled', 'void', 'refunded', 'written_off') NOT NULL DEFAULT 'draft',
  invoice_date       DATE          NOT NULL,
  due_date           DATE          NOT NULL,
  paid_date          DATE          NULL,
  currency           VARCHAR(3)    NOT NULL DEFAULT 'SDG',
  created_by         CHAR(36)      NULL,
  created_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at         TIMESTAMP     NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_invoice_number (invoice_number),
  INDEX idx_patient_id (patient_id),
  INDEX idx_status (status),
  INDEX idx_patient_status (patient_id, status),
  -- MySQL has no partial indexes: the reference's "WHERE status IN ('pending','partially_paid')" is dropped.
  INDEX idx_overdue (status, due_date),
  INDEX idx_invoices_patient_status_date (patient_id, status, invoice_date DESC),
  INDEX idx_invoices_billing_account_id (billing_account_id),
  INDEX idx_invoices_facility_id (facility_id),
  INDEX idx_invoices_deleted_at (deleted_at),
  FULLTEXT INDEX idx_invoices_search (invoice_number, description, patient_notes),
  CONSTRAINT fk_invoices_billing_account FOREIGN KEY (billing_account_id) REFERENCES billing_accounts (id),
  CONSTRAINT chk_invoices_amounts CHECK (subtotal >= 0 AND tax_amount >= 0 AND discount_amount >= 0 AND paid_amount >= 0),
  CONSTRAINT chk_invoices_dates CHECK (due_date >= invoice_date),
  -- REGEXP follows the column's case-insensitive collation: compare bytes to require upper case.
  CONSTRAINT chk_invoices_currency CHECK (currency REGEXP '^[A-Za-z]{3}$' AND CAST(currency AS BINARY) = CAST(UPPER(currency) AS BINARY))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE invoice_line_items (
  id              CHAR(36)      NOT NULL DEFAULT (UUID()),
  invoice_id      CHAR(36)      NOT NULL,
  line_number     INT           NOT NULL,
  item_type       ENUM('service', 'medication', 'lab_test', 'procedure', 'consultation', 'imaging', 'room_charge', 'supply', 'other') NOT NULL,
  item_code       VARCHAR(100)  NULL COMMENT 'CPT/HCPCS or charge master code',
  item_name       VARCHAR(255)  NOT NULL,
  quantity        DECIMAL(10,2) NOT NULL DEFAULT 1,
  unit_price      DECIMAL(10,2) NOT NULL,
  line_total      DECIMAL(12,2) NOT NULL DEFAULT 0 COMMENT 'quantity * unit_price (kept by triggers)',
  service_date    DATE          NULL,
  procedure_code  VARCHAR(20)   NULL,
  diagnosis_codes JSON          NULL COMMENT 'array of ICD-10 codes',
  created_at      TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at      TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_invoice_line_items_invoice_line (invoice_id, line_number),
  INDEX idx_invoice_line_items_item_code (item_code),
  CONSTRAINT fk_invoice_line_items_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id) ON DELETE CASCADE,
  CONSTRAINT chk_invoice_line_items_amounts CHECK (quantity > 0 AND unit_price >= 0),
  CONSTRAINT chk_invoice_line_items_diagnosis CHECK (diagnosis_codes IS NULL OR JSON_VALID(diagnosis_codes))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE insurance_claims (
  id                     CHAR(36)      NOT NULL DEFAULT (UUID()),
  claim_number           VARCHAR(50)   NOT NULL COMMENT 'CLM-YYYYMMDD-XXXXXX',
  invoice_id             CHAR(36)      NULL,
  patient_id             CHAR(36)      NOT NULL,
  insurer_id             VARCHAR(100)  NULL,
  policy_number          VARCHAR(100)  NULL,
  claim_type             ENUM('professional', 'institutional', 'dental', 'pharmacy', 'vision') NOT NULL,
  claim_format           ENUM('CMS1500', 'UB04', 'EDI_837P', 'EDI_837I', 'EDI_837D', 'NCPDP') NOT NULL,
  status                 ENUM('draft', 'submitted', 'pending', 'approved', 'partially_approved', 'paid', 'denied', 'appealed', 'resubmitted', 'cancelled') NOT NULL DEFAULT 'draft',
  total_charges          DECIMAL(12,2) NOT NULL DEFAULT 0,
  allowed_amount         DECIMAL(12,2) NULL,
  paid_amount            DECIMAL(12,2) NOT NULL DEFAULT 0,
  patient_responsibility DECIMAL(12,2) NULL,
  denial_reason_code     VARCHAR(50)   NULL,
  submission_date        DATETIME      NULL,
  paid_date              DATETIME      NULL,
  currency               VARCHAR(3)    NOT NULL DEFAULT 'SDG',
  created_at             TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at             TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at             TIMESTAMP     NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_insurance_claims_claim_number (claim_number),
  INDEX idx_insurance_claims_invoice_id (invoice_id),
  INDEX idx_insurance_claims_patient_id (patient_id),
  INDEX idx_insurance_claims_status (status, submission_date),
  CONSTRAINT fk_insurance_claims_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE claim_line_items (
  id              CHAR(36)      NOT NULL DEFAULT (UUID()),
  claim_id        CHAR(36)      NOT NULL,
  line_number     INT           NULL,
  procedure_code  VARCHAR(20)   NULL,
  diagnosis_codes JSON          NULL,
  charge_amount   DECIMAL(12,2) NOT NULL DEFAULT 0,
  allowed_amount  DECIMAL(12,2) NULL,
  paid_amount     DECIMAL(12,2) NOT NULL DEFAULT 0,
  line_status     ENUM('submitted', 'pending', 'approved', 'partially_approved', 'denied') NOT NULL DEFAULT 'submitted',
  created_at      TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at      TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_claim_line_items_claim_id (claim_id),
  CONSTRAINT fk_claim_line_items_claim FOREIGN KEY (claim_id) REFERENCES insurance_claims (id) ON DELETE CASCADE,
  CONSTRAINT chk_claim_line_items_diagnosis CHECK (diagnosis_codes IS NULL OR JSON_VALID(diagnosis_codes))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE billing_adjustments (
  id                CHAR(36)      NOT NULL DEFAULT (UUID()),
  invoice_id        CHAR(36)      NOT NULL,
  adjustment_type   ENUM('discount', 'write_off', 'correction', 'refund', 'late_fee', 'insurance_adjustment', 'financial_assistance') NOT NULL,
  adjustment_reason VARCHAR(255)  NULL,
  adjustment_amount DECIMAL(12,2) NOT NULL,
  is_credit         BOOLEAN       NOT NULL DEFAULT TRUE COMMENT 'TRUE = reduces balance',
  approved_by       CHAR(36)      NULL,
  approved_at       TIMESTAMP     NULL,
  created_at        TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at        TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_billing_adjustments_invoice_id (invoice_id),
  CONSTRAINT fk_billing_adjustments_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id),
  CONSTRAINT chk_billing_adjustments_amount CHECK (adjustment_amount >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE billing_statements (
  id                 CHAR(36)      NOT NULL DEFAULT (UUID()),
  statement_number   VARCHAR(50)   NOT NULL COMMENT 'STMT-YYYYMMDD-XXXXXX',
  billing_account_id CHAR(36)      NOT NULL,
  period_start_date  DATE          NOT NULL,
  period_end_date    DATE          NOT NULL,
  opening_balance    DECIMAL(12,2) NOT NULL DEFAULT 0,
  new_charges        DECIMAL(12,2) NOT NULL DEFAULT 0,
  payments_received  DECIMAL(12,2) NOT NULL DEFAULT 0,
  closing_balance    DECIMAL(12,2) NOT NULL DEFAULT 0,
  status             ENUM('draft', 'sent', 'viewed', 'paid') NOT NULL DEFAULT 'draft',
  statement_file_url TEXT          NULL,
  created_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_billing_statements_statement_number (statement_number),
  INDEX idx_billing_statements_account_period (billing_account_id, period_start_date),
  CONSTRAINT fk_billing_statements_account FOREIGN KEY (billing_account_id) REFERENCES billing_accounts (id),
  CONSTRAINT chk_billing_statements_period CHECK (period_end_date >= period_start_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE charge_master (
  id               CHAR(36)      NOT NULL DEFAULT (UUID()),
  item_code        VARCHAR(100)  NOT NULL,
  item_name        VARCHAR(255)  NOT NULL,
  item_description TEXT          NULL,
  item_category    ENUM('consultation', 'procedure', 'lab_test', 'imaging', 'medication', 'room', 'supply', 'surgery', 'emergency', 'other') NOT NULL,
  cpt_code         VARCHAR(20)   NULL,
  base_price       DECIMAL(10,2) NOT NULL,
  insurance_rate_1 DECIMAL(10,2) NULL COMMENT 'government insurance rate',
  insurance_rate_2 DECIMAL(10,2) NULL COMMENT 'private insurance rate',
  cash_rate        DECIMAL(10,2) NULL COMMENT 'self-pay rate',
  currency         VARCHAR(3)    NOT NULL DEFAULT 'SDG',
  is_active        BOOLEAN       NOT NULL DEFAULT TRUE,
  created_at       TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at       TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at       TIMESTAMP     NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_charge_master_item_code (item_code),
  INDEX idx_charge_master_category (item_category, is_active),
  INDEX idx_charge_master_cpt_code (cpt_code),
  FULLTEXT INDEX idx_charge_master_search (item_name, item_description),
  CONSTRAINT chk_charge_master_price CHECK (base_price >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE billing_audit_log (
  id            CHAR(36)     NOT NULL DEFAULT (UUID()),
  action        VARCHAR(100) NOT NULL,
  resource_type ENUM('invoice', 'line_item', 'claim', 'adjustment', 'payment', 'allocation', 'statement', 'account', 'charge_master', 'reminder') NOT NULL,
  resource_id   CHAR(36)     NOT NULL,
  user_id       CHAR(36)     NULL,
  old_values    JSON         NULL,
  new_values    JSON         NULL,
  `timestamp`   TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_billing_audit_log_resource (resource_type, resource_id),
  INDEX idx_billing_audit_log_user (user_id, `timestamp`),
  INDEX idx_billing_audit_log_timestamp (`timestamp`),
  CONSTRAINT chk_billing_audit_log_old CHECK (old_values IS NULL OR JSON_VALID(old_values)),
  CONSTRAINT chk_billing_audit_log_new CHECK (new_values IS NULL OR JSON_VALID(new_values))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE payment_reminders (
  id              CHAR(36)  NOT NULL DEFAULT (UUID()),
  invoice_id      CHAR(36)  NOT NULL,
  reminder_type   ENUM('upcoming_due', 'overdue', 'final_notice', 'payment_plan', 'statement') NOT NULL,
  delivery_method ENUM('email', 'sms', 'phone', 'mail') NOT NULL,
  delivery_status ENUM('pending', 'sent', 'delivered', 'failed', 'cancelled') NOT NULL DEFAULT 'pending',
  scheduled_date  DATETIME  NOT NULL,
  sent_date       DATETIME  NULL,
  created_at      TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at      TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_payment_reminders_invoice_id (invoice_id),
  INDEX idx_payment_reminders_due (delivery_status, scheduled_date),
  CONSTRAINT fk_payment_reminders_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE invoice_payment_allocations (
  id               CHAR(36)      NOT NULL DEFAULT (UUID()),
  invoice_id       CHAR(36)      NOT NULL,
  payment_id       CHAR(36)      NOT NULL COMMENT 'nilecare_payment.payment_transactions.id (other database: no FK)',
  allocated_amount DECIMAL(12,2) NOT NULL,
  allocation_type  ENUM('full', 'partial', 'installment', 'advance', 'refund') NOT NULL,
  payment_status   VARCHAR(50)   NULL COMMENT 'cached payment status',
  allocated_at     TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  created_at       TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at       TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_invoice_payment_allocations_pair (invoice_id, payment_id),
  INDEX idx_invoice_payment_allocations_payment_id (payment_id),
  CONSTRAINT fk_invoice_payment_allocations_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id),
  CONSTRAINT chk_invoice_payment_allocations_amount CHECK (allocated_amount > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
