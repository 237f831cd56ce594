-- Undo of V3__Projection_ownership.sql (values left NULL get the old placeholders back so NOT NULL holds).
DROP TABLE IF EXISTS fhir_reference_ids;
UPDATE medications SET form = 'other' WHERE form IS NULL;
UPDATE prescriptions SET dose = 1 WHERE dose IS NULL;
UPDATE prescriptions SET dose_unit = 'dose' WHERE dose_unit IS NULL;
UPDATE prescriptions SET route = 'other' WHERE route IS NULL;
UPDATE prescriptions SET frequency = 'as directed' WHERE frequency IS NULL;
ALTER TABLE medications DROP COLUMN source,
  MODIFY form ENUM('tablet', 'capsule', 'syrup', 'suspension', 'injection', 'infusion', 'cream', 'ointment', 'drops', 'inhaler', 'suppository', 'patch', 'powder', 'other') NOT NULL;
ALTER TABLE prescriptions DROP COLUMN source,
  MODIFY dose DECIMAL(10,3) NOT NULL,
  MODIFY dose_unit VARCHAR(20) NOT NULL,
  MODIFY route ENUM('oral', 'iv', 'im', 'sc', 'topical', 'inhalation', 'rectal', 'sublingual', 'ophthalmic', 'otic', 'nasal', 'transdermal', 'other') NOT NULL,
  MODIFY frequency VARCHAR(50) NOT NULL COMMENT 'e.g. BID, q8h, once';
ALTER TABLE mar_entries DROP COLUMN source;
ALTER TABLE high_alert_medications DROP COLUMN source;
ALTER TABLE medication_audit_log DROP COLUMN source;
