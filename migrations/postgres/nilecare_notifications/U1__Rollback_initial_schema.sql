-- Undo of V1__Initial_schema.sql.
DROP TABLE IF EXISTS notification_delivery_log;
DROP FUNCTION IF EXISTS notification_delivery_apply();
DROP TABLE IF EXISTS notifications;
DROP TABLE IF EXISTS notification_preferences;
DROP TABLE IF EXISTS notification_templates;
DROP FUNCTION IF EXISTS nilecare_set_updated_at();
