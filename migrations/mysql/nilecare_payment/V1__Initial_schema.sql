-- nilecare_payment: payment gateway (schema reference §MySQL 3 names 6 of its 10 tables; the other
-- four — payment_refunds, payment_webhooks, payment_installments, payment_audit_log — and all
-- columns are the choices in migrations/README.md). Card numbers are never stored: only provider tokens.

CREATE TABLE payment_providers (
  id                   CHAR(36)      NOT NULL DEFAULT (UUID()),
  code                 VARCHAR(50)   NOT NULL,
  name                 VARCHAR(100)  NOT NULL,
  provider_type        ENUM('cash', 'card', 'bank_transfer', 'mobile_money', 'wallet', 'insurance', 'other') NOT NULL,
  api_base_url         VARCHAR(255)  NULL,
  merchant_id          VARCHAR(100)  NULL,
  supported_currencies JSON          NULL COMMENT 'e.g. ["SDG","USD"]',
  fee_percent          DECIMAL(5,2)  NOT NULL DEFAULT 0,
  fee_fixed            DECIMAL(10,2) NOT NULL DEFAULT 0,
  config               JSON          NULL COMMENT 'non-secret settings; secrets live in the vault',
  is_sandbox           BOOLEAN       NOT NULL DEFAULT FALSE,
  is_active            BOOLEAN       NOT NULL DEFAULT TRUE,
  created_at           TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at           TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at           TIMESTAMP     NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_payment_providers_code (code),
  CONSTRAINT chk_payment_providers_fee CHECK (fee_percent BETWEEN 0 AND 100 AND fee_fixed >= 0),
  CONSTRAINT chk_payment_providers_currencies CHECK (supported_currencies IS NULL OR JSON_VALID(supported_currencies)),
  CONSTRAINT chk_payment_providers_config CHECK (config IS NULL OR JSON_VALID(config))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE payment_methods (
  id           CHAR(36)     NOT NULL DEFAULT (UUID()),
  patient_id   CHAR(36)     NOT NULL,
  provider_id  CHAR(36)     NOT NULL,
  method_type  ENUM('card', 'bank_account', 'mobile_wallet') NOT NULL,
  token        VARCHAR(255) NOT NULL COMMENT 'provider token, never a card number',
  last4        CHAR(4)      NULL,
  brand        VARCHAR(30)  NULL,
  holder_name  VARCHAR(100) NULL,
  phone_number VARCHAR(20)  NULL COMMENT 'mobile wallet number',
  expiry_month TINYINT      NULL,
  expiry_year  SMALLINT     NULL,
  is_default   BOOLEAN      NOT NULL DEFAULT FALSE,
  is_active    BOOLEAN      NOT NULL DEFAULT TRUE,
  created_at   TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at   TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at   TIMESTAMP    NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_payment_methods_provider_token (provider_id, token),
  INDEX idx_payment_methods_patient_id (patient_id),
  CONSTRAINT fk_payment_methods_provider FOREIGN KEY (provider_id) REFERENCES payment_providers (id),
  CONSTRAINT chk_payment_methods_expiry CHECK (expiry_month IS NULL OR expiry_month BETWEEN 1 AND 12),
  CONSTRAINT chk_payment_methods_last4 CHECK (last4 IS NULL OR last4 REGEXP '^[0-9]{4}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE payment_transactions (
  id                 CHAR(36)      NOT NULL DEFAULT (UUID()),
  transaction_number VARCHAR(50)   NOT NULL COMMENT 'PAY-YYYYMMDD-XXXXXX',
  provider_id        CHAR(36)      NOT NULL,
  payment_method_id  CHAR(36)      NULL,
  patient_id         CHAR(36)      NOT NULL,
  invoice_id         CHAR(36)      NULL COMMENT 'nilecare_billing.invoices.id (other database: no FK)',
  facility_id        CHAR(36)      NULL,
  amount             DECIMAL(12,2) NOT NULL,
  currency           VARCHAR(3)    NOT NULL DEFAULT 'SDG',
  fee_amount         DECIMAL(12,2) NOT NULL DEFAULT 0,
  net_amount         DECIMAL(12,2) GENERATED ALWAYS AS (amount - fee_amount) STORED,
  refunded_amount    DECIMAL(12,2) NOT NULL DEFAULT 0 COMMENT 'sum of completed refunds (kept by triggers)',
  status             ENUM('pending', 'processing', 'authorized', 'completed', 'failed', 'cancelled', 'refunded', 'partially_refunded', 'disputed') NOT NULL DEFAULT 'pending',
  provider_reference VARCHAR(255)  NULL,
  idempotency_key    VARCHAR(100)  NULL,
  receipt_number     VARCHAR(50)   NULL,
  failure_code       VARCHAR(50)   NULL,
  failure_message    VARCHAR(255)  NULL,
  initiated_by       CHAR(36)      NULL,
  processed_at       DATETIME      NULL,
  metadata           JSON          NULL,
  created_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_payment_transactions_number (transaction_number),
  UNIQUE INDEX idx_payment_transactions_idempotency (idempotency_key),
  UNIQUE INDEX idx_payment_transactions_provider_ref (provider_id, provider_reference),
  INDEX idx_payment_transactions_method (payment_method_id),
  INDEX idx_payment_transactions_patient (patient_id, created_at),
  INDEX idx_payment_transactions_invoice (invoice_id),
  INDEX idx_payment_transactions_status (status, created_at),
  CONSTRAINT fk_payment_transactions_provider FOREIGN KEY (provider_id) REFERENCES payment_providers (id),
  CONSTRAINT fk_payment_transactions_method FOREIGN KEY (payment_method_id) REFERENCES payment_methods (id),
  CONSTRAINT chk_payment_transactions_amounts CHECK (amount > 0 AND fee_amount >= 0 AND refunded_amount >= 0 AND refunded_amount <= amount),
  CONSTRAINT chk_payment_transactions_metadata CHECK (metadata IS NULL OR JSON_VALID(metadata))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE payment_refunds (
  id                 CHAR(36)      NOT NULL DEFAULT (UUID()),
  refund_number      VARCHAR(50)   NOT NULL,
  transaction_id     CHAR(36)      NOT NULL,
  amount             DECIMAL(12,2) NOT NULL,
  reason             VARCHAR(255)  NOT NULL,
  status             ENUM('pending', 'processing', 'completed', 'failed', 'cancelled') NOT NULL DEFAULT 'pending',
  provider_reference VARCHAR(255)  NULL,
  requested_by       CHAR(36)      NULL,
  approved_by        CHAR(36)      NULL,
  processed_at       DATETIME      NULL,
  created_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_payment_refunds_number (refund_number),
  INDEX idx_payment_refunds_transaction (transaction_id, status),
  CONSTRAINT fk_payment_refunds_transaction FOREIGN KEY (transaction_id) REFERENCES payment_transactions (id),
  CONSTRAINT chk_payment_refunds_amount CHECK (amount > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE payment_disputes (
  id             CHAR(36)      NOT NULL DEFAULT (UUID()),
  dispute_number VARCHAR(50)   NOT NULL,
  transaction_id CHAR(36)      NOT NULL,
  amount         DECIMAL(12,2) NOT NULL,
  reason_code    VARCHAR(50)   NULL,
  reason         TEXT          NULL,
  status         ENUM('open', 'under_review', 'evidence_submitted', 'won', 'lost', 'closed') NOT NULL DEFAULT 'open',
  opened_at      DATETIME      NOT NULL DEFAULT CURRENT_TIMESTAMP,
  respond_by     DATETIME      NULL,
  resolved_at    DATETIME      NULL,
  evidence       JSON          NULL,
  created_at     TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at     TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_payment_disputes_number (dispute_number),
  INDEX idx_payment_disputes_transaction (transaction_id),
  INDEX idx_payment_disputes_status (status, respond_by),
  CONSTRAINT fk_payment_disputes_transaction FOREIGN KEY (transaction_id) REFERENCES payment_transactions (id),
  CONSTRAINT chk_payment_disputes_amount CHECK (amount > 0),
  CONSTRAINT chk_payment_disputes_evidence CHECK (evidence IS NULL OR JSON_VALID(evidence))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE payment_reconciliation (
  id                  CHAR(36)      NOT NULL DEFAULT (UUID()),
  provider_id         CHAR(36)      NOT NULL,
  statement_reference VARCHAR(100)  NOT NULL,
  statement_date      DATE          NOT NULL,
  period_start        DATE          NOT NULL,
  period_end          DATE          NOT NULL,
  currency            VARCHAR(3)    NOT NULL DEFAULT 'SDG',
  expected_amount     DECIMAL(14,2) NOT NULL DEFAULT 0,
  settled_amount      DECIMAL(14,2) NOT NULL DEFAULT 0,
  difference          DECIMAL(14,2) GENERATED ALWAYS AS (settled_amount - expected_amount) STORED,
  transaction_count   INT           NOT NULL DEFAULT 0,
  matched_count       INT           NOT NULL DEFAULT 0,
  unmatched_count     INT           NOT NULL DEFAULT 0,
  status              ENUM('pending', 'in_progress', 'matched', 'discrepancy', 'resolved') NOT NULL DEFAULT 'pending',
  reconciled_by       CHAR(36)      NULL,
  reconciled_at       DATETIME      NULL,
  notes               TEXT          NULL,
  created_at          TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at          TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_payment_reconciliation_statement (provider_id, statement_reference),
  INDEX idx_payment_reconciliation_status (status, statement_date),
  CONSTRAINT fk_payment_reconciliation_provider FOREIGN KEY (provider_id) REFERENCES payment_providers (id),
  CONSTRAINT chk_payment_reconciliation_period CHECK (period_end >= period_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE fraud_detection_logs (
  id                 CHAR(36)     NOT NULL DEFAULT (UUID()),
  transaction_id     CHAR(36)     NULL,
  patient_id         CHAR(36)     NULL,
  risk_score         DECIMAL(5,2) NOT NULL,
  risk_level         ENUM('low', 'medium', 'high', 'critical') NOT NULL,
  rules_triggered    JSON         NULL,
  decision           ENUM('allow', 'review', 'block') NOT NULL,
  ip_address         VARCHAR(45)  NULL,
  device_fingerprint VARCHAR(255) NULL,
  reviewed_by        CHAR(36)     NULL,
  reviewed_at        DATETIME     NULL,
  review_outcome     ENUM('legitimate', 'fraud') NULL,
  created_at         TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_fraud_detection_logs_transaction (transaction_id),
  INDEX idx_fraud_detection_logs_review (decision, reviewed_at),
  CONSTRAINT fk_fraud_detection_logs_transaction FOREIGN KEY (transaction_id) REFERENCES payment_transactions (id) ON DELETE SET NULL,
  CONSTRAINT chk_fraud_detection_logs_score CHECK (risk_score BETWEEN 0 AND 100),
  CONSTRAINT chk_fraud_detection_logs_rules CHECK (rules_triggered IS NULL OR JSON_VALID(rules_triggered))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE payment_webhooks (
  id                CHAR(36)     NOT NULL DEFAULT (UUID()),
  provider_id       CHAR(36)     NOT NULL,
  event_id          VARCHAR(255) NOT NULL COMMENT 'provider event id: a replayed webhook is recognised',
  event_type        VARCHAR(100) NOT NULL,
  payload           JSON         NOT NULL,
  signature_valid   BOOLEAN      NOT NULL,
  processing_status ENUM('received', 'processed', 'failed', 'ignored') NOT NULL DEFAULT 'received',
  attempts          INT          NOT NULL DEFAULT 0,
  error_message     TEXT         NULL,
  transaction_id    CHAR(36)     NULL,
  received_at       DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  processed_at      DATETIME(3)  NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_payment_webhooks_event (provider_id, event_id),
  INDEX idx_payment_webhooks_transaction (transaction_id),
  INDEX idx_payment_webhooks_status (processing_status, received_at),
  CONSTRAINT fk_payment_webhooks_provider FOREIGN KEY (provider_id) REFERENCES payment_providers (id),
  CONSTRAINT fk_payment_webhooks_transaction FOREIGN KEY (transaction_id) REFERENCES payment_transactions (id) ON DELETE SET NULL,
  CONSTRAINT chk_payment_webhooks_payload CHECK (JSON_VALID(payload))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE payment_installments (
  id                 CHAR(36)      NOT NULL DEFAULT (UUID()),
  plan_reference     VARCHAR(50)   NOT NULL COMMENT 'payment plan number',
  invoice_id         CHAR(36)      NULL COMMENT 'nilecare_billing.invoices.id',
  patient_id         CHAR(36)      NOT NULL,
  installment_number INT           NOT NULL,
  due_date           DATE          NOT NULL,
  amount             DECIMAL(12,2) NOT NULL,
  paid_amount        DECIMAL(12,2) NOT NULL DEFAULT 0,
  currency           VARCHAR(3)    NOT NULL DEFAULT 'SDG',
  status             ENUM('scheduled', 'paid', 'partially_paid', 'overdue', 'cancelled') NOT NULL DEFAULT 'scheduled',
  transaction_id     CHAR(36)      NULL,
  created_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_payment_installments_plan (plan_reference, installment_number),
  INDEX idx_payment_installments_patient (patient_id, due_date),
  INDEX idx_payment_installments_transaction (transaction_id),
  INDEX idx_payment_installments_due (status, due_date),
  CONSTRAINT fk_payment_installments_transaction FOREIGN KEY (transaction_id) REFERENCES payment_transactions (id) ON DELETE SET NULL,
  CONSTRAINT chk_payment_installments_amounts CHECK (amount > 0 AND paid_amount >= 0 AND paid_amount <= amount)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE payment_audit_log (
  id          CHAR(36)     NOT NULL DEFAULT (UUID()),
  action      VARCHAR(100) NOT NULL,
  entity_type ENUM('transaction', 'refund', 'dispute', 'method', 'provider', 'reconciliation', 'webhook', 'installment') NOT NULL,
  entity_id   CHAR(36)     NOT NULL,
  user_id     CHAR(36)     NULL,
  old_values  JSON         NULL,
  new_values  JSON         NULL,
  ip_address  VARCHAR(45)  NULL,
  `timestamp` TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_payment_audit_log_entity (entity_type, entity_id),
  INDEX idx_payment_audit_log_user (user_id, `timestamp`),
  CONSTRAINT chk_payment_audit_log_old CHECK (old_values IS NULL OR JSON_VALID(old_values)),
  CONSTRAINT chk_payment_audit_log_new CHECK (new_values IS NULL OR JSON_VALID(new_values))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

DELIMITER //
-- refunded_amount = sum of completed refunds; the transaction becomes refunded / partially_refunded.
-- Refunding more than was paid fails on chk_payment_transactions_amounts.
CREATE PROCEDURE sp_sync_refunds(IN p_transaction_id CHAR(36))
BEGIN
  DECLARE v_refunded DECIMAL(12,2);
  SELECT COALESCE(SUM(amount), 0) INTO v_refunded FROM payment_refunds WHERE transaction_id = p_transaction_id AND status = 'completed';
  UPDATE payment_transactions
     SET refunded_amount = v_refunded,
         status = CASE
           WHEN v_refunded = 0 THEN IF(status IN ('refunded', 'partially_refunded'), 'completed', status)
           WHEN v_refunded >= amount THEN 'refunded'
           ELSE 'partially_refunded'
         END
   WHERE id = p_transaction_id;
END//
CREATE TRIGGER trg_payment_refunds_ai AFTER INSERT ON payment_refunds FOR EACH ROW
BEGIN
  CALL sp_sync_refunds(NEW.transaction_id);
END//
CREATE TRIGGER trg_payment_refunds_au AFTER UPDATE ON payment_refunds FOR EACH ROW
BEGIN
  CALL sp_sync_refunds(NEW.transaction_id);
END//
CREATE TRIGGER trg_payment_refunds_bi BEFORE INSERT ON payment_refunds FOR EACH ROW
BEGIN
  IF (SELECT status FROM payment_transactions WHERE id = NEW.transaction_id) NOT IN ('completed', 'partially_refunded', 'disputed') THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'payment_refunds: only a completed payment can be refunded';
  END IF;
END//
DELIMITER ;
