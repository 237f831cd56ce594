-- nilecare_cds: clinical decision support knowledge (interactions, dose ranges, contraindications)
-- and the alerts it raises with their overrides (schema reference §MySQL 9, table names only;
-- columns in migrations/README.md). Drug codes are ATC by default (RxNorm and local allowed).

CREATE TABLE drug_interactions (
  id              CHAR(36)     NOT NULL DEFAULT (UUID()),
  code_system     ENUM('atc', 'rxnorm', 'local') NOT NULL DEFAULT 'atc',
  drug_a_code     VARCHAR(20)  NOT NULL,
  drug_a_name     VARCHAR(255) NOT NULL,
  drug_b_code     VARCHAR(20)  NOT NULL,
  drug_b_name     VARCHAR(255) NOT NULL,
  severity        ENUM('minor', 'moderate', 'major', 'contraindicated') NOT NULL,
  mechanism       TEXT         NULL,
  clinical_effect TEXT         NOT NULL,
  management      TEXT         NULL,
  evidence_level  ENUM('established', 'probable', 'suspected', 'theoretical') NOT NULL DEFAULT 'established',
  source          VARCHAR(100) NULL,
  is_active       BOOLEAN      NOT NULL DEFAULT TRUE,
  created_at      TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at      TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  -- A pair is stored once, in code order, so a look-up needs one probe: (least, greatest).
  UNIQUE INDEX idx_drug_interactions_pair (code_system, drug_a_code, drug_b_code),
  INDEX idx_drug_interactions_b (code_system, drug_b_code),
  CONSTRAINT chk_drug_interactions_order CHECK (drug_a_code < drug_b_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE allergy_interactions (
  id               CHAR(36)     NOT NULL DEFAULT (UUID()),
  code_system      ENUM('atc', 'rxnorm', 'local') NOT NULL DEFAULT 'atc',
  allergen_code    VARCHAR(50)  NOT NULL,
  allergen_name    VARCHAR(255) NOT NULL,
  allergen_class   VARCHAR(100) NULL COMMENT 'e.g. penicillins, sulfonamides',
  drug_code        VARCHAR(20)  NOT NULL,
  drug_name        VARCHAR(255) NOT NULL,
  cross_reactivity ENUM('low', 'moderate', 'high') NOT NULL,
  severity         ENUM('mild', 'moderate', 'severe', 'life_threatening') NOT NULL,
  recommendation   TEXT         NULL,
  is_active        BOOLEAN      NOT NULL DEFAULT TRUE,
  created_at       TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at       TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_allergy_interactions_pair (code_system, allergen_code, drug_code),
  INDEX idx_allergy_interactions_drug (code_system, drug_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE dose_ranges (
  id                 CHAR(36)      NOT NULL DEFAULT (UUID()),
  code_system        ENUM('atc', 'rxnorm', 'local') NOT NULL DEFAULT 'atc',
  drug_code          VARCHAR(20)   NOT NULL,
  drug_name          VARCHAR(255)  NOT NULL,
  route              ENUM('oral', 'iv', 'im', 'sc', 'topical', 'inhalation', 'rectal', 'sublingual', 'other') NOT NULL,
  age_group          ENUM('neonate', 'infant', 'child', 'adolescent', 'adult', 'geriatric') NOT NULL,
  min_age_days       INT           NULL,
  max_age_days       INT           NULL,
  min_weight_kg      DECIMAL(6,2)  NULL,
  max_weight_kg      DECIMAL(6,2)  NULL,
  min_dose           DECIMAL(12,4) NOT NULL,
  max_dose           DECIMAL(12,4) NOT NULL,
  max_daily_dose     DECIMAL(12,4) NULL,
  dose_unit          VARCHAR(20)   NOT NULL,
  per_kg             BOOLEAN       NOT NULL DEFAULT FALSE,
  frequency          VARCHAR(50)   NULL,
  renal_adjustment   TEXT          NULL,
  hepatic_adjustment TEXT          NULL,
  source             VARCHAR(100)  NULL,
  is_active          BOOLEAN       NOT NULL DEFAULT TRUE,
  created_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at         TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_dose_ranges_rule (code_system, drug_code, route, age_group, per_kg),
  CONSTRAINT chk_dose_ranges_dose CHECK (min_dose >= 0 AND min_dose <= max_dose AND (max_daily_dose IS NULL OR max_daily_dose >= max_dose)),
  CONSTRAINT chk_dose_ranges_age CHECK (min_age_days IS NULL OR max_age_days IS NULL OR min_age_days <= max_age_days),
  CONSTRAINT chk_dose_ranges_weight CHECK (min_weight_kg IS NULL OR max_weight_kg IS NULL OR min_weight_kg <= max_weight_kg)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE contraindications (
  id                    CHAR(36)     NOT NULL DEFAULT (UUID()),
  code_system           ENUM('atc', 'rxnorm', 'local') NOT NULL DEFAULT 'atc',
  drug_code             VARCHAR(20)  NOT NULL,
  drug_name             VARCHAR(255) NOT NULL,
  contraindication_kind ENUM('condition', 'pregnancy', 'lactation', 'age', 'renal', 'hepatic') NOT NULL,
  condition_code        VARCHAR(20)  NULL COMMENT 'ICD-10 when kind = condition',
  condition_name        VARCHAR(255) NULL,
  contraindication_type ENUM('absolute', 'relative') NOT NULL,
  rationale             TEXT         NOT NULL,
  source                VARCHAR(100) NULL,
  is_active             BOOLEAN      NOT NULL DEFAULT TRUE,
  created_at            TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at            TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_contraindications_drug (code_system, drug_code),
  INDEX idx_contraindications_condition (condition_code),
  CONSTRAINT chk_contraindications_condition CHECK (contraindication_kind <> 'condition' OR condition_code IS NOT NULL)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE clinical_alerts (
  id              CHAR(36)     NOT NULL DEFAULT (UUID()),
  patient_id      CHAR(36)     NOT NULL,
  encounter_id    CHAR(36)     NULL,
  prescription_id CHAR(36)     NULL COMMENT 'nilecare_medication.prescriptions.id',
  alert_type      ENUM('drug_interaction', 'drug_allergy', 'dose_range', 'contraindication', 'duplicate_therapy', 'lab_value', 'other') NOT NULL,
  severity        ENUM('info', 'warning', 'critical') NOT NULL,
  title           VARCHAR(255) NOT NULL,
  message         TEXT         NOT NULL,
  rule_table      VARCHAR(50)  NULL COMMENT 'which knowledge table raised it',
  rule_id         CHAR(36)     NULL,
  triggered_by    CHAR(36)     NULL COMMENT 'user whose action raised it',
  status          ENUM('active', 'acknowledged', 'overridden', 'resolved', 'dismissed') NOT NULL DEFAULT 'active',
  context         JSON         NULL,
  resolved_at     DATETIME     NULL,
  created_at      TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at      TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_clinical_alerts_patient (patient_id, status),
  INDEX idx_clinical_alerts_type (alert_type, severity, created_at),
  INDEX idx_clinical_alerts_prescription (prescription_id),
  CONSTRAINT chk_clinical_alerts_context CHECK (context IS NULL OR JSON_VALID(context))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE alert_overrides (
  id              CHAR(36)  NOT NULL DEFAULT (UUID()),
  alert_id        CHAR(36)  NOT NULL,
  overridden_by   CHAR(36)  NOT NULL,
  override_reason ENUM('benefit_outweighs_risk', 'patient_tolerated_before', 'dose_adjusted', 'monitoring_in_place', 'alert_not_applicable', 'other') NOT NULL,
  justification   TEXT      NOT NULL,
  supervisor_id   CHAR(36)  NULL COMMENT 'required for critical alerts',
  created_at      TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_alert_overrides_alert (alert_id),
  INDEX idx_alert_overrides_user (overridden_by, created_at),
  CONSTRAINT fk_alert_overrides_alert FOREIGN KEY (alert_id) REFERENCES clinical_alerts (id),
  CONSTRAINT chk_alert_overrides_justification CHECK (CHAR_LENGTH(TRIM(justification)) >= 10)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

DELIMITER //
-- Overriding a critical alert needs a supervisor other than the prescriber; the alert becomes 'overridden'.
CREATE TRIGGER trg_alert_overrides_bi BEFORE INSERT ON alert_overrides FOR EACH ROW
BEGIN
  IF (SELECT severity FROM clinical_alerts WHERE id = NEW.alert_id) = 'critical'
     AND (NEW.supervisor_id IS NULL OR NEW.supervisor_id = NEW.overridden_by) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'alert_overrides: a critical alert needs a supervisor to co-sign the override';
  END IF;
END//
CREATE TRIGGER trg_alert_overrides_ai AFTER INSERT ON alert_overrides FOR EACH ROW
BEGIN
  UPDATE clinical_alerts SET status = 'overridden', resolved_at = NOW() WHERE id = NEW.alert_id;
END//
DELIMITER ;
