-- Undo of V3__Inbound_recovery.sql (fails if two kept rows share a control id: delete the duplicates first).
ALTER TABLE fhir_mappings DROP COLUMN sending_facility, DROP COLUMN sending_application;
ALTER TABLE hl7_messages
  DROP FOREIGN KEY fk_hl7_messages_duplicate_of,
  DROP INDEX idx_hl7_messages_control_id,
  DROP INDEX idx_hl7_messages_lease,
  DROP INDEX idx_hl7_messages_dedup,
  ADD UNIQUE INDEX idx_hl7_messages_dedup (direction, sending_application, sending_facility, control_id),
  DROP COLUMN dedup_control_id,
  DROP COLUMN duplicate_of,
  DROP COLUMN locked_by,
  DROP COLUMN lease_until,
  MODIFY COLUMN message_hash CHAR(64) NOT NULL COMMENT 'SHA-256 of raw_message (hex)';
