-- Undo of V1__Initial_schema.sql.
DROP TABLE IF EXISTS alert_overrides;
DROP TABLE IF EXISTS clinical_alerts;
DROP TABLE IF EXISTS contraindications;
DROP TABLE IF EXISTS dose_ranges;
DROP TABLE IF EXISTS allergy_interactions;
DROP TABLE IF EXISTS drug_interactions;
