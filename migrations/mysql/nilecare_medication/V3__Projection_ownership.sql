-- Projection ownership (issue #17): rows written by the FHIR projection are marked source = 'fhir'; rows the
-- medication service writes itself keep source NULL, and a rebuild of the projection touches only
-- source = 'fhir' rows (upserted in place; a locally entered prescription of a projected medication stays).
-- Dose, dose unit, route and frequency of a prescription, and a medication's form, are NULL when the FHIR
-- data does not state them (the projection used to invent dose 1 "dose", 'as directed', 'other').
-- fhir_reference_ids: the FHIR id behind each UUID the projection derived for a non-UUID FHIR id.
ALTER TABLE medications ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the medication service',
  MODIFY form ENUM('tablet', 'capsule', 'syrup', 'suspension', 'injection', 'infusion', 'cream', 'ointment', 'drops', 'inhaler', 'suppository', 'patch', 'powder', 'other') NULL;
ALTER TABLE prescriptions ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the medication service',
  MODIFY dose DECIMAL(10,3) NULL,
  MODIFY dose_unit VARCHAR(20) NULL,
  MODIFY route ENUM('oral', 'iv', 'im', 'sc', 'topical', 'inhalation', 'rectal', 'sublingual', 'ophthalmic', 'otic', 'nasal', 'transdermal', 'other') NULL,
  MODIFY frequency VARCHAR(50) NULL COMMENT 'e.g. BID, q8h, once';
ALTER TABLE mar_entries ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the medication service';
ALTER TABLE high_alert_medications ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the medication service';
ALTER TABLE medication_audit_log ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the medication service';

CREATE TABLE fhir_reference_ids (
  id            CHAR(36)    NOT NULL COMMENT 'the UUID stored in *_id columns for this FHIR id',
  resource_type VARCHAR(64) NOT NULL,
  fhir_id       VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at    TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_fhir_reference_ids_resource (resource_type, fhir_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What the projection wrote before this version (its conventions then).
UPDATE medications SET source = 'fhir' WHERE fhir_id IS NOT NULL OR is_formulary = FALSE;
UPDATE prescriptions SET source = 'fhir' WHERE fhir_id IS NOT NULL;
UPDATE prescriptions SET dose = NULL, dose_unit = NULL WHERE source = 'fhir' AND dose = 1 AND dose_unit = 'dose';
UPDATE mar_entries SET source = 'fhir' WHERE fhir_id IS NOT NULL;
UPDATE high_alert_medications SET source = 'fhir' WHERE warning_message LIKE 'High-alert medication (%';
UPDATE medication_audit_log SET source = 'fhir' WHERE action LIKE 'fhir\_%';
