-- nilecare_clinical: encounters and what happens in them (schema reference §MySQL 5 names 6 of its 8
-- tables; procedures and referrals are the other two; columns follow the FHIR resources they mirror —
-- Encounter, Condition, Observation (vital signs), AllergyIntolerance, Immunization, Composition/
-- DocumentReference, Procedure, ServiceRequest — see migrations/README.md).

CREATE TABLE encounters (
  id                    CHAR(36)     NOT NULL DEFAULT (UUID()),
  encounter_number      VARCHAR(50)  NOT NULL,
  patient_id            CHAR(36)     NOT NULL,
  facility_id           CHAR(36)     NULL,
  department_id         CHAR(36)     NULL,
  attending_provider_id CHAR(36)     NULL,
  appointment_id        CHAR(36)     NULL,
  encounter_class       ENUM('outpatient', 'inpatient', 'emergency', 'virtual', 'home_health', 'day_case') NOT NULL,
  encounter_type        VARCHAR(100) NULL,
  status                ENUM('planned', 'arrived', 'triaged', 'in_progress', 'on_leave', 'finished', 'cancelled', 'entered_in_error') NOT NULL DEFAULT 'planned',
  priority              ENUM('routine', 'urgent', 'emergency', 'elective') NOT NULL DEFAULT 'routine',
  chief_complaint       TEXT         NULL,
  start_time            DATETIME     NOT NULL,
  end_time              DATETIME     NULL,
  admission_source      VARCHAR(50)  NULL,
  discharge_disposition VARCHAR(50)  NULL,
  location              VARCHAR(100) NULL COMMENT 'ward / room / bed',
  created_at            TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at            TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at            TIMESTAMP    NULL,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_encounters_number (encounter_number),
  INDEX idx_encounters_patient (patient_id, start_time),
  INDEX idx_encounters_status (status, encounter_class),
  INDEX idx_encounters_provider (attending_provider_id, start_time),
  INDEX idx_encounters_appointment (appointment_id),
  CONSTRAINT chk_encounters_times CHECK (end_time IS NULL OR end_time >= start_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE diagnoses (
  id                  CHAR(36)     NOT NULL DEFAULT (UUID()),
  encounter_id        CHAR(36)     NULL,
  patient_id          CHAR(36)     NOT NULL,
  icd10_code          VARCHAR(10)  NOT NULL,
  description         VARCHAR(255) NOT NULL,
  diagnosis_type      ENUM('primary', 'secondary', 'admitting', 'discharge', 'differential', 'working') NOT NULL DEFAULT 'primary',
  clinical_status     ENUM('active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved') NOT NULL DEFAULT 'active',
  verification_status ENUM('unconfirmed', 'provisional', 'differential', 'confirmed', 'refuted', 'entered_in_error') NOT NULL DEFAULT 'confirmed',
  severity            ENUM('mild', 'moderate', 'severe') NULL,
  onset_date          DATE         NULL,
  abatement_date      DATE         NULL,
  diagnosed_by        CHAR(36)     NULL,
  diagnosed_at        DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  notes               TEXT         NULL,
  created_at          TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at          TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at          TIMESTAMP    NULL,
  PRIMARY KEY (id),
  INDEX idx_diagnoses_encounter (encounter_id),
  INDEX idx_diagnoses_patient (patient_id, clinical_status),
  INDEX idx_diagnoses_icd10 (icd10_code),
  CONSTRAINT fk_diagnoses_encounter FOREIGN KEY (encounter_id) REFERENCES encounters (id),
  CONSTRAINT chk_diagnoses_icd10 CHECK (icd10_code REGEXP '^[A-Z][0-9][0-9A-Z](\\.[0-9A-Z]{1,4})?$' AND CAST(icd10_code AS BINARY) = CAST(UPPER(icd10_code) AS BINARY)),
  CONSTRAINT chk_diagnoses_dates CHECK (abatement_date IS NULL OR onset_date IS NULL OR abatement_date >= onset_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE vital_signs (
  id               CHAR(36)     NOT NULL DEFAULT (UUID()),
  encounter_id     CHAR(36)     NULL,
  patient_id       CHAR(36)     NOT NULL,
  recorded_at      DATETIME     NOT NULL,
  recorded_by      CHAR(36)     NULL,
  source           ENUM('manual', 'device') NOT NULL DEFAULT 'manual',
  device_id        CHAR(36)     NULL COMMENT 'nilecare_devices.devices.id',
  temperature_c    DECIMAL(4,1) NULL,
  heart_rate       INT          NULL COMMENT 'beats/min',
  respiratory_rate INT          NULL COMMENT 'breaths/min',
  systolic_bp      INT          NULL COMMENT 'mmHg',
  diastolic_bp     INT          NULL COMMENT 'mmHg',
  spo2             DECIMAL(5,2) NULL COMMENT '%',
  weight_kg        DECIMAL(5,2) NULL,
  height_cm        DECIMAL(5,1) NULL,
  bmi              DECIMAL(5,2) GENERATED ALWAYS AS (ROUND(weight_kg / ((height_cm / 100) * (height_cm / 100)), 2)) STORED,
  pain_score       TINYINT      NULL COMMENT '0-10',
  blood_glucose    DECIMAL(5,1) NULL COMMENT 'mmol/L',
  notes            TEXT         NULL,
  created_at       TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_vital_signs_encounter (encounter_id),
  INDEX idx_vital_signs_patient (patient_id, recorded_at),
  CONSTRAINT fk_vital_signs_encounter FOREIGN KEY (encounter_id) REFERENCES encounters (id),
  CONSTRAINT chk_vital_signs_ranges CHECK (
    (temperature_c IS NULL OR temperature_c BETWEEN 25 AND 45)
    AND (heart_rate IS NULL OR heart_rate BETWEEN 0 AND 350)
    AND (respiratory_rate IS NULL OR respiratory_rate BETWEEN 0 AND 120)
    AND (systolic_bp IS NULL OR systolic_bp BETWEEN 0 AND 350)
    AND (diastolic_bp IS NULL OR diastolic_bp BETWEEN 0 AND 250)
    AND (spo2 IS NULL OR spo2 BETWEEN 0 AND 100)
    AND (weight_kg IS NULL OR weight_kg BETWEEN 0.2 AND 500)
    AND (height_cm IS NULL OR height_cm BETWEEN 20 AND 280)
    AND (pain_score IS NULL OR pain_score BETWEEN 0 AND 10))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE allergies (
  id                  CHAR(36)     NOT NULL DEFAULT (UUID()),
  patient_id          CHAR(36)     NOT NULL,
  allergen            VARCHAR(255) NOT NULL,
  allergen_code       VARCHAR(50)  NULL COMMENT 'RxNorm / SNOMED CT',
  category            ENUM('food', 'medication', 'environment', 'biologic') NOT NULL,
  allergy_type        ENUM('allergy', 'intolerance') NOT NULL DEFAULT 'allergy',
  criticality         ENUM('low', 'high', 'unable_to_assess') NULL,
  reaction            VARCHAR(255) NULL,
  severity            ENUM('mild', 'moderate', 'severe') NULL,
  clinical_status     ENUM('active', 'inactive', 'resolved') NOT NULL DEFAULT 'active',
  verification_status ENUM('unconfirmed', 'confirmed', 'refuted', 'entered_in_error') NOT NULL DEFAULT 'confirmed',
  onset_date          DATE         NULL,
  recorded_by         CHAR(36)     NULL,
  recorded_at         DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  notes               TEXT         NULL,
  created_at          TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at          TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at          TIMESTAMP    NULL,
  PRIMARY KEY (id),
  INDEX idx_allergies_patient (patient_id, clinical_status),
  INDEX idx_allergies_code (allergen_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE immunizations (
  id              CHAR(36)     NOT NULL DEFAULT (UUID()),
  patient_id      CHAR(36)     NOT NULL,
  encounter_id    CHAR(36)     NULL,
  vaccine_code    VARCHAR(20)  NOT NULL COMMENT 'CVX',
  vaccine_name    VARCHAR(255) NOT NULL,
  manufacturer    VARCHAR(100) NULL,
  lot_number      VARCHAR(50)  NULL,
  expiration_date DATE         NULL,
  dose_number     INT          NULL,
  series_doses    INT          NULL,
  administered_at DATETIME     NOT NULL,
  administered_by CHAR(36)     NULL,
  route           ENUM('im', 'sc', 'id', 'oral', 'nasal') NULL,
  site            VARCHAR(50)  NULL,
  dose_quantity   DECIMAL(6,2) NULL,
  dose_unit       VARCHAR(20)  NULL,
  status          ENUM('completed', 'not_done', 'entered_in_error') NOT NULL DEFAULT 'completed',
  status_reason   VARCHAR(255) NULL,
  notes           TEXT         NULL,
  created_at      TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at      TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_immunizations_patient (patient_id, administered_at),
  INDEX idx_immunizations_encounter (encounter_id),
  INDEX idx_immunizations_vaccine (vaccine_code),
  CONSTRAINT fk_immunizations_encounter FOREIGN KEY (encounter_id) REFERENCES encounters (id),
  CONSTRAINT chk_immunizations_dose CHECK (dose_number IS NULL OR series_doses IS NULL OR dose_number <= series_doses)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE clinical_notes (
  id              CHAR(36)     NOT NULL DEFAULT (UUID()),
  encounter_id    CHAR(36)     NULL,
  patient_id      CHAR(36)     NOT NULL,
  author_id       CHAR(36)     NOT NULL,
  note_type       ENUM('soap', 'progress', 'admission', 'discharge', 'consultation', 'procedure', 'operative', 'nursing') NOT NULL,
  title           VARCHAR(255) NULL,
  subjective      TEXT         NULL COMMENT 'SOAP: S',
  objective       TEXT         NULL COMMENT 'SOAP: O',
  assessment      TEXT         NULL COMMENT 'SOAP: A',
  plan            TEXT         NULL COMMENT 'SOAP: P',
  content         MEDIUMTEXT   NULL COMMENT 'free-text notes',
  status          ENUM('draft', 'final', 'amended', 'entered_in_error') NOT NULL DEFAULT 'draft',
  signed_by       CHAR(36)     NULL,
  signed_at       DATETIME     NULL,
  amends_note_id  CHAR(36)     NULL COMMENT 'the signed note this one corrects',
  created_at      TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at      TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  deleted_at      TIMESTAMP    NULL,
  PRIMARY KEY (id),
  INDEX idx_clinical_notes_encounter (encounter_id),
  INDEX idx_clinical_notes_patient (patient_id, created_at),
  INDEX idx_clinical_notes_author (author_id),
  INDEX idx_clinical_notes_amends (amends_note_id),
  FULLTEXT INDEX idx_clinical_notes_search (title, content),
  CONSTRAINT fk_clinical_notes_encounter FOREIGN KEY (encounter_id) REFERENCES encounters (id),
  CONSTRAINT fk_clinical_notes_amends FOREIGN KEY (amends_note_id) REFERENCES clinical_notes (id),
  CONSTRAINT chk_clinical_notes_signed CHECK (status <> 'final' OR (signed_by IS NOT NULL AND signed_at IS NOT NULL))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE procedures (
  id              CHAR(36)     NOT NULL DEFAULT (UUID()),
  encounter_id    CHAR(36)     NULL,
  patient_id      CHAR(36)     NOT NULL,
  procedure_code  VARCHAR(20)  NOT NULL,
  code_system     ENUM('cpt', 'icd10pcs', 'snomed', 'local') NOT NULL DEFAULT 'cpt',
  description     VARCHAR(255) NOT NULL,
  status          ENUM('preparation', 'in_progress', 'not_done', 'on_hold', 'stopped', 'completed', 'entered_in_error') NOT NULL DEFAULT 'preparation',
  performed_start DATETIME     NULL,
  performed_end   DATETIME     NULL,
  performer_id    CHAR(36)     NULL,
  body_site       VARCHAR(100) NULL,
  outcome         VARCHAR(255) NULL,
  complications   TEXT         NULL,
  notes           TEXT         NULL,
  created_at      TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at      TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  INDEX idx_procedures_encounter (encounter_id),
  INDEX idx_procedures_patient (patient_id, performed_start),
  INDEX idx_procedures_code (procedure_code),
  CONSTRAINT fk_procedures_encounter FOREIGN KEY (encounter_id) REFERENCES encounters (id),
  CONSTRAINT chk_procedures_times CHECK (performed_end IS NULL OR performed_start IS NULL OR performed_end >= performed_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE referrals (
  id                        CHAR(36)    NOT NULL DEFAULT (UUID()),
  referral_number           VARCHAR(50) NOT NULL,
  patient_id                CHAR(36)    NOT NULL,
  encounter_id              CHAR(36)    NULL,
  referring_provider_id     CHAR(36)    NOT NULL,
  referred_to_provider_id   CHAR(36)    NULL,
  referred_to_department_id CHAR(36)    NULL,
  referred_to_facility_id   CHAR(36)    NULL,
  specialty                 VARCHAR(100) NULL,
  reason                    TEXT        NOT NULL,
  priority                  ENUM('routine', 'urgent', 'emergency') NOT NULL DEFAULT 'routine',
  status                    ENUM('draft', 'sent', 'accepted', 'rejected', 'completed', 'cancelled') NOT NULL DEFAULT 'draft',
  referred_at               DATETIME    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  responded_at              DATETIME    NULL,
  notes                     TEXT        NULL,
  created_at                TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at                TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_referrals_number (referral_number),
  INDEX idx_referrals_patient (patient_id),
  INDEX idx_referrals_encounter (encounter_id),
  INDEX idx_referrals_status (status, priority),
  CONSTRAINT fk_referrals_encounter FOREIGN KEY (encounter_id) REFERENCES encounters (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

DELIMITER //
-- A signed (final) note is never rewritten: corrections are new notes with amends_note_id, and the
-- original may only move to 'amended' or 'entered_in_error'.
CREATE TRIGGER trg_clinical_notes_bu BEFORE UPDATE ON clinical_notes FOR EACH ROW
BEGIN
  IF OLD.status IN ('final', 'amended') AND (
       NOT (NEW.subjective <=> OLD.subjective) OR NOT (NEW.objective <=> OLD.objective)
    OR NOT (NEW.assessment <=> OLD.assessment) OR NOT (NEW.plan <=> OLD.plan)
    OR NOT (NEW.content <=> OLD.content) OR NOT (NEW.title <=> OLD.title)
    OR NOT (NEW.patient_id <=> OLD.patient_id) OR NOT (NEW.author_id <=> OLD.author_id)
    OR NEW.status NOT IN ('final', 'amended', 'entered_in_error')) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'clinical_notes: a signed note cannot be changed; write an amendment';
  END IF;
END//
DELIMITER ;
