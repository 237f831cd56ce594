-- HL7 v2 inbound (issue #16): leases so that a message left `processing` by a crash is recovered, the content hash of
-- each message (an identical resend is a duplicate, a different one with the same control id is refused and kept),
-- and MSH-7 kept in UTC.
-- The duplicate key now ignores rows that hold no claim on their control id: messages refused before they were
-- accepted (status rejected: parse, MSH or message-type level) and refused resends (status duplicate, kept with
-- duplicate_of pointing at the message whose control id they reused).
ALTER TABLE hl7_messages
  MODIFY COLUMN message_hash CHAR(64) NOT NULL COMMENT 'SHA-256 (hex) of the message with segment terminators normalised to CR and no BOM',
  ADD COLUMN lease_until DATETIME(3) NULL COMMENT 'processing: held by locked_by until then (UTC)',
  ADD COLUMN locked_by VARCHAR(100) NULL COMMENT 'processing: node:boot id of the process working on the message',
  ADD COLUMN duplicate_of CHAR(36) NULL COMMENT 'status duplicate: the message whose control id was reused with other content',
  ADD COLUMN dedup_control_id VARCHAR(199) AS (IF(status IN ('rejected', 'duplicate'), NULL, control_id)) STORED COMMENT 'control_id while the row holds it',
  DROP INDEX idx_hl7_messages_dedup,
  ADD UNIQUE INDEX idx_hl7_messages_dedup (direction, sending_application, sending_facility, dedup_control_id),
  ADD INDEX idx_hl7_messages_lease (status, lease_until),
  ADD INDEX idx_hl7_messages_control_id (control_id),
  ADD CONSTRAINT fk_hl7_messages_duplicate_of FOREIGN KEY (duplicate_of) REFERENCES hl7_messages (id) ON DELETE SET NULL;

-- fhir_mappings rows may be scoped to a sender (MSH-3 / MSH-4; NULL = any), as they are to a message type
-- (`*` = every type), trigger event and version.
ALTER TABLE fhir_mappings
  ADD COLUMN sending_application VARCHAR(180) NULL COMMENT 'scope: MSH-3 (namespace or whole field); NULL = any' AFTER hl7_version,
  ADD COLUMN sending_facility VARCHAR(180) NULL COMMENT 'scope: MSH-4 (namespace or whole field); NULL = any' AFTER sending_application;
