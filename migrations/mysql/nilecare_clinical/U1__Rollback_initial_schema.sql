-- Undo of V1__Initial_schema.sql.
DROP TABLE IF EXISTS referrals;
DROP TABLE IF EXISTS procedures;
DROP TABLE IF EXISTS clinical_notes;
DROP TABLE IF EXISTS immunizations;
DROP TABLE IF EXISTS allergies;
DROP TABLE IF EXISTS vital_signs;
DROP TABLE IF EXISTS diagnoses;
DROP TABLE IF EXISTS encounters;
