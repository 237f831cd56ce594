-- Undo of V1__Initial_schema.sql.
DROP TABLE IF EXISTS care_team;
DROP TABLE IF EXISTS consents;
DROP TABLE IF EXISTS advance_directives;
DROP TABLE IF EXISTS social_history;
DROP TABLE IF EXISTS family_history;
DROP TABLE IF EXISTS care_plans;
DROP TABLE IF EXISTS problem_lists;
DROP TABLE IF EXISTS patients;
DROP FUNCTION IF EXISTS nilecare_set_updated_at();
