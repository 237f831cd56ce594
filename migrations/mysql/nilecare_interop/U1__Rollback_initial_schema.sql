-- Undo of V1__Initial_schema.sql.
DROP TABLE IF EXISTS message_queue;
DROP TABLE IF EXISTS fhir_mappings;
DROP TABLE IF EXISTS hl7_message_logs;
DROP TABLE IF EXISTS hl7_messages;
DROP TABLE IF EXISTS interface_configs;
