-- HL7 v2 outbound delivery (issue #7): messages produced from FHIR changes through the transactional outbox.
-- hl7_messages gains the FHIR change an outbound message came from, so a change is planned at most once per
-- endpoint (idempotent on resource, version, endpoint) and messages of one patient are sent in change order.
-- hl7_outbound_state keeps the worker's cursor in the FHIR store's change log.
ALTER TABLE hl7_messages
  ADD COLUMN source_resource VARCHAR(140) CHARACTER SET ascii COLLATE ascii_bin NULL COMMENT 'outbound: the FHIR resource changed, e.g. Encounter/e1',
  ADD COLUMN source_version  INT          NULL COMMENT 'outbound: its versionId',
  ADD COLUMN source_seq      BIGINT       NULL COMMENT 'outbound: seq of the change in the FHIR change log (send order)',
  ADD COLUMN source_part     SMALLINT     NULL COMMENT 'outbound: index of the message among those planned for the change',
  ADD COLUMN ordering_key    VARCHAR(140) CHARACTER SET ascii COLLATE ascii_bin NULL COMMENT 'outbound: messages of one key (Patient/<id>) are sent in order',
  ADD UNIQUE INDEX idx_hl7_messages_source (interface_config_id, source_resource, source_version, source_part),
  ADD INDEX idx_hl7_messages_ordering (interface_config_id, ordering_key, source_seq, source_part);

CREATE TABLE hl7_outbound_state (
  name           VARCHAR(50) NOT NULL COMMENT 'one row per worker, e.g. hl7-outbound',
  cursor_seq     BIGINT      NOT NULL DEFAULT 0 COMMENT 'last change of the FHIR change log planned',
  planned        BIGINT      NOT NULL DEFAULT 0 COMMENT 'messages recorded so far',
  last_change_at VARCHAR(40) NULL COMMENT 'lastUpdated of the change at the cursor',
  created_at     TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at     TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
