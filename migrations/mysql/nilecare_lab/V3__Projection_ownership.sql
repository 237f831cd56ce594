-- Projection ownership (issue #17): rows written by the FHIR projection are marked source = 'fhir'; rows the
-- lab service writes itself keep source NULL, and a rebuild of the projection touches only source = 'fhir'
-- rows (upserted in place). The catalog's category and specimen type, and a specimen's type, are NULL when no
-- FHIR data states them (the projection used to invent 'other' / 'unspecified'). fhir_reference_ids: the FHIR id behind each
-- UUID the projection derived for a non-UUID FHIR id.
ALTER TABLE lab_tests_catalog ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the lab service',
  MODIFY category ENUM('hematology', 'chemistry', 'microbiology', 'immunology', 'serology', 'urinalysis', 'parasitology', 'molecular', 'pathology', 'blood_bank', 'other') NULL,
  MODIFY specimen_type VARCHAR(50) NULL COMMENT 'blood, serum, plasma, urine, stool, csf, swab…';
ALTER TABLE lab_orders ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the lab service';
ALTER TABLE lab_specimens ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the lab service',
  MODIFY specimen_type VARCHAR(50) NULL;
ALTER TABLE lab_results ADD COLUMN source VARCHAR(16) NULL COMMENT 'fhir = projected from the FHIR store; NULL = written by the lab service';

CREATE TABLE fhir_reference_ids (
  id            CHAR(36)    NOT NULL COMMENT 'the UUID stored in *_id columns for this FHIR id',
  resource_type VARCHAR(64) NOT NULL,
  fhir_id       VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at    TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE INDEX idx_fhir_reference_ids_resource (resource_type, fhir_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What the projection wrote before this version (its conventions then: fhir_id, implicit OBS- orders,
-- catalog rows added for a code with specimen 'unspecified').
UPDATE lab_tests_catalog SET source = 'fhir' WHERE fhir_id IS NOT NULL OR specimen_type = 'unspecified';
UPDATE lab_tests_catalog SET specimen_type = NULL WHERE source = 'fhir' AND specimen_type = 'unspecified';
UPDATE lab_tests_catalog SET category = NULL WHERE source = 'fhir' AND category = 'other';
UPDATE lab_orders SET source = 'fhir' WHERE fhir_id IS NOT NULL OR order_number LIKE 'OBS-%';
UPDATE lab_specimens SET source = 'fhir' WHERE fhir_id IS NOT NULL;
UPDATE lab_specimens SET specimen_type = NULL WHERE source = 'fhir' AND specimen_type = 'unspecified';
UPDATE lab_results SET source = 'fhir' WHERE fhir_id IS NOT NULL;
