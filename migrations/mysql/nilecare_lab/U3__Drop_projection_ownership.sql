-- Undo of V3__Projection_ownership.sql (catalog rows without category / specimen get the old placeholders back).
DROP TABLE IF EXISTS fhir_reference_ids;
UPDATE lab_tests_catalog SET category = 'other' WHERE category IS NULL;
UPDATE lab_tests_catalog SET specimen_type = 'unspecified' WHERE specimen_type IS NULL;
ALTER TABLE lab_tests_catalog DROP COLUMN source,
  MODIFY category ENUM('hematology', 'chemistry', 'microbiology', 'immunology', 'serology', 'urinalysis', 'parasitology', 'molecular', 'pathology', 'blood_bank', 'other') NOT NULL,
  MODIFY specimen_type VARCHAR(50) NOT NULL COMMENT 'blood, serum, plasma, urine, stool, csf, swab…';
ALTER TABLE lab_orders DROP COLUMN source;
UPDATE lab_specimens SET specimen_type = 'unspecified' WHERE specimen_type IS NULL;
ALTER TABLE lab_specimens DROP COLUMN source, MODIFY specimen_type VARCHAR(50) NOT NULL;
ALTER TABLE lab_results DROP COLUMN source;
