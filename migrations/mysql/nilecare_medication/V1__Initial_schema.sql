-- nilecare_medication: formulary, prescriptions, medication administration record (MAR), high-alert
-- medications and audit (schema reference §MySQL 8, table names only; columns in migrations/README.md).
-- FHIR: medications <-> Medication, prescriptions <-> MedicationRequest, mar_entries <-> MedicationAdministration.

CREATE TABLE medications (
  id                 CHAR(36)      NOT NULL DEFAULT (UUID()),
  medication_code    VARCHAR(50)   NOT NULL COMMENT 'formulary code',
  name               VARCHAR(255)  NOT NULL COMMENT 'generic name',
  brand_name         VARCHAR(255)  NULL,
  rxnorm_code        VARCHAR(20)   NULL,
  atc_code           VARCHAR(10)   NULL,
  form               ENUM('tablet', 'capsule', 'syrup', 'suspension', 'injection', 'infusion', 'cream', 'ointment', 'drops', 'inhaler', 'suppository', 'patch', 'powder', 'other') NOT NULL,
  strength           VARCHAR(50)   NULL COMMENT 'as labelled, e.g. 500 mg',
  strength_value     DECIMAL(12,4) NULL,
  strength_unit      VARCHAR(20)   NULL,
  default_route      ENUM('oral', 'iv', 'im', 'sc', 'topical', 'inhalation', 'rectal', 'sublingual', 'ophthalmic', 'otic', 'nasal', 'transdermal', 'other') NULL,
  controlled_schedule VARCHAR(5)   NULL COMMENT 'controlled substance schedule, NULL = not controlled',
  is_formulary       BOOLEAN       NOT NULL DEFAULT TRUE,
  unit_price         DECIMAL(10,2) NULL,
  currency           VARCHAR(3)    NOT NULL DEFAULT 'SDG',
  is_active          BOOLEAN       NOT NULL DEFAULT TRUE,
  created_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at         TIMESTAMP     NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_medications_medication_code (medication_code),
  INDEX idx_medications_rxnorm_code (rxnorm_code),
  INDEX idx_medications_atc_code (atc_code),
  INDEX idx_medications_name (name),
  FULLTEXT INDEX idx_medications_search (name, brand_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE prescriptions (
  id                  CHAR(36)      NOT NULL DEFAULT (UUID()),
  prescription_number VARCHAR(50)   NOT NULL,
  patient_id          CHAR(36)      NOT NULL,
  encounter_id        CHAR(36)      NULL,
  prescriber_id       CHAR(36)      NOT NULL,
  medication_id       CHAR(36)      NOT NULL,
  dose                DECIMAL(10,3) NOT NULL,
  dose_unit           VARCHAR(20)   NOT NULL,
  route               ENUM('oral', 'iv', 'im', 'sc', 'topical', 'inhalation', 'rectal', 'sublingual', 'ophthalmic', 'otic', 'nasal', 'transdermal', 'other') NOT NULL,
  frequency           VARCHAR(50)   NOT NULL COMMENT 'e.g. BID, q8h, once',
  as_needed           BOOLEAN       NOT NULL DEFAULT FALSE,
  duration_days       INT           NULL,
  quantity            DECIMAL(10,2) NULL,
  refills_allowed     INT           NOT NULL DEFAULT 0,
  refills_remaining   INT           NOT NULL DEFAULT 0,
  instructions        TEXT          NULL,
  indication          VARCHAR(255)  NULL,
  status              ENUM('draft', 'active', 'on_hold', 'completed', 'cancelled', 'stopped', 'entered_in_error') NOT NULL DEFAULT 'active',
  priority            ENUM('routine', 'urgent', 'stat') NOT NULL DEFAULT 'routine',
  start_date          DATE          NOT NULL,
  end_date            DATE          NULL,
  prescribed_at       DATETIME      NOT NULL DEFAULT CURRENT_TIMESTAMP,
  created_at          TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at          TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at          TIMESTAMP     NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_prescriptions_prescription_number (prescription_number),
  INDEX idx_prescriptions_patient (patient_id, status),
  INDEX idx_prescriptions_medication_id (medication_id),
  INDEX idx_prescriptions_prescriber_id (prescriber_id),
  INDEX idx_prescriptions_encounter_id (encounter_id),
  CONSTRAINT fk_prescriptions_medication FOREIGN KEY (medication_id) REFERENCES medications (id),
  CONSTRAINT chk_prescriptions_dose CHECK (dose > 0),
  CONSTRAINT chk_prescriptions_refills CHECK (refills_allowed >= 0 AND refills_remaining BETWEEN 0 AND refills_allowed),
  CONSTRAINT chk_prescriptions_dates CHECK (end_date IS NULL OR end_date >= start_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE mar_entries (
  id                CHAR(36)      NOT NULL DEFAULT (UUID()),
  prescription_id   CHAR(36)      NOT NULL,
  patient_id        CHAR(36)      NOT NULL,
  medication_id     CHAR(36)      NOT NULL,
  scheduled_time    DATETIME      NOT NULL,
  administered_time DATETIME      NULL,
  dose_given        DECIMAL(10,3) NULL,
  dose_unit         VARCHAR(20)   NULL,
  route             ENUM('oral', 'iv', 'im', 'sc', 'topical', 'inhalation', 'rectal', 'sublingual', 'ophthalmic', 'otic', 'nasal', 'transdermal', 'other') NULL,
  site              VARCHAR(50)   NULL,
  status            ENUM('scheduled', 'given', 'held', 'refused', 'missed', 'not_given', 'entered_in_error') NOT NULL DEFAULT 'scheduled',
  reason_not_given  VARCHAR(255)  NULL,
  administered_by   CHAR(36)      NULL,
  witnessed_by      CHAR(36)      NULL COMMENT 'second nurse: required for high-alert medications',
  notes             TEXT          NULL,
  created_at        TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at        TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_mar_entries_prescription (prescription_id, scheduled_time),
  INDEX idx_mar_entries_patient (patient_id, scheduled_time),
  INDEX idx_mar_entries_medication_id (medication_id),
  INDEX idx_mar_entries_status (status, scheduled_time),
  CONSTRAINT fk_mar_entries_prescription FOREIGN KEY (prescription_id) REFERENCES prescriptions (id),
  CONSTRAINT fk_mar_entries_medication FOREIGN KEY (medication_id) REFERENCES medications (id),
  CONSTRAINT chk_mar_entries_given CHECK (status <> 'given' OR (administered_time IS NOT NULL AND administered_by IS NOT NULL AND dose_given IS NOT NULL)),
  CONSTRAINT chk_mar_entries_not_given CHECK (status NOT IN ('held', 'refused', 'not_given') OR reason_not_given IS NOT NULL)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE high_alert_medications (
  id                    CHAR(36)      NOT NULL DEFAULT (UUID()),
  medication_id         CHAR(36)      NOT NULL,
  alert_category        ENUM('anticoagulant', 'insulin', 'opioid', 'chemotherapy', 'concentrated_electrolyte', 'sedative', 'neuromuscular_blocker', 'other') NOT NULL,
  requires_double_check BOOLEAN       NOT NULL DEFAULT TRUE,
  max_single_dose       DECIMAL(12,4) NULL,
  max_daily_dose        DECIMAL(12,4) NULL,
  dose_unit             VARCHAR(20)   NULL,
  warning_message       TEXT          NULL,
  is_active             BOOLEAN       NOT NULL DEFAULT TRUE,
  created_at            TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at            TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_high_alert_medications_medication_id (medication_id),
  CONSTRAINT fk_high_alert_medications_medication FOREIGN KEY (medication_id) REFERENCES medications (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE medication_audit_log (
  id          CHAR(36)     NOT NULL DEFAULT (UUID()),
  action      VARCHAR(100) NOT NULL,
  entity_type ENUM('medication', 'prescription', 'mar_entry', 'high_alert_medication') NOT NULL,
  entity_id   CHAR(36)     NOT NULL,
  patient_id  CHAR(36)     NULL,
  user_id     CHAR(36)     NULL,
  old_values  JSON         NULL,
  new_values  JSON         NULL,
  ip_address  VARCHAR(45)  NULL,
  `timestamp` TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_medication_audit_log_entity (entity_type, entity_id),
  INDEX idx_medication_audit_log_patient (patient_id, `timestamp`),
  INDEX idx_medication_audit_log_user (user_id, `timestamp`),
  CONSTRAINT chk_medication_audit_log_old CHECK (old_values IS NULL OR JSON_VALID(old_values)),
  CONSTRAINT chk_medication_audit_log_new CHECK (new_values IS NULL OR JSON_VALID(new_values))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

DELIMITER //
-- Patient safety: a high-alert medication that requires an independent double check can only be
-- recorded as given with a witness, and never above its maximum single dose.
CREATE PROCEDURE sp_check_mar_high_alert(IN p_medication_id CHAR(36), IN p_status VARCHAR(20), IN p_witnessed_by CHAR(36), IN p_administered_by CHAR(36), IN p_dose DECIMAL(10,3))
BEGIN
  DECLARE v_double BOOLEAN DEFAULT NULL;
  DECLARE v_max DECIMAL(12,4) DEFAULT NULL;
  IF p_status = 'given' THEN
    SELECT requires_double_check, max_single_dose INTO v_double, v_max
      FROM high_alert_medications WHERE medication_id = p_medication_id AND is_active LIMIT 1;
    IF v_double AND (p_witnessed_by IS NULL OR p_witnessed_by = p_administered_by) THEN
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'mar_entries: high-alert medication given without an independent witness';
    END IF;
    IF v_max IS NOT NULL AND p_dose > v_max THEN
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'mar_entries: dose above the maximum single dose of a high-alert medication';
    END IF;
  END IF;
END//
CREATE TRIGGER trg_mar_entries_bi BEFORE INSERT ON mar_entries FOR EACH ROW
BEGIN
  CALL sp_check_mar_high_alert(NEW.medication_id, NEW.status, NEW.witnessed_by, NEW.administered_by, NEW.dose_given);
END//
CREATE TRIGGER trg_mar_entries_bu BEFORE UPDATE ON mar_entries FOR EACH ROW
BEGIN
  CALL sp_check_mar_high_alert(NEW.medication_id, NEW.status, NEW.witnessed_by, NEW.administered_by, NEW.dose_given);
END//
DELIMITER ;
