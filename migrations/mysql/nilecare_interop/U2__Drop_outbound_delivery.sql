-- Undo of V2__Outbound_delivery.sql.
DROP TABLE IF EXISTS hl7_outbound_state;
ALTER TABLE hl7_messages
  DROP INDEX idx_hl7_messages_ordering,
  DROP INDEX idx_hl7_messages_source,
  DROP COLUMN ordering_key,
  DROP COLUMN source_part,
  DROP COLUMN source_seq,
  DROP COLUMN source_version,
  DROP COLUMN source_resource;
