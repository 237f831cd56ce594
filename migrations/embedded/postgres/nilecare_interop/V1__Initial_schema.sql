-- nilecare_interop in PostgreSQL dialect: the tables of migrations/mysql/nilecare_interop V1-V3 as they stand after
-- V3, column for column, for the embedded default (a schema of this name inside the FHIR store's PostgreSQL or PGlite,
-- when INTEROP_MYSQL_URL is not set). Same names; ENUMs are TEXT with CHECK constraints, JSON is JSONB, times are
-- TIMESTAMPTZ(3) (MySQL keeps them as UTC DATETIME(3)); `updated_at` is moved by a trigger as ON UPDATE does in MySQL.

CREATE OR REPLACE FUNCTION nilecare_interop_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := clock_timestamp();
  RETURN NEW;
END $$;

CREATE TABLE interface_configs (
  id                    VARCHAR(36)  NOT NULL DEFAULT gen_random_uuid()::text,
  name                  VARCHAR(100) NOT NULL,
  description           TEXT         NULL,
  direction             TEXT         NOT NULL,
  protocol              TEXT         NOT NULL DEFAULT 'mllp',
  host                  VARCHAR(255) NULL,
  port                  INT          NULL,
  sending_application   VARCHAR(180) NULL,
  sending_facility      VARCHAR(180) NULL,
  receiving_application VARCHAR(180) NULL,
  receiving_facility    VARCHAR(180) NULL,
  hl7_version           VARCHAR(10)  NOT NULL DEFAULT '2.5.1',
  message_types         JSONB        NULL,
  ack_mode              TEXT         NOT NULL DEFAULT 'original',
  character_encoding    VARCHAR(20)  NOT NULL DEFAULT 'UTF-8',
  timeout_ms            INT          NOT NULL DEFAULT 30000,
  max_retries           INT          NOT NULL DEFAULT 3,
  retry_backoff_ms      INT          NOT NULL DEFAULT 5000,
  settings              JSONB        NULL,
  is_active             BOOLEAN      NOT NULL DEFAULT TRUE,
  created_at            TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
  updated_at            TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
  deleted_at            TIMESTAMPTZ(3) NULL,
  PRIMARY KEY (id),
  CONSTRAINT idx_interface_configs_name UNIQUE (name),
  CONSTRAINT chk_interface_configs_direction CHECK (direction IN ('inbound', 'outbound', 'bidirectional')),
  CONSTRAINT chk_interface_configs_protocol CHECK (protocol IN ('mllp', 'mllp_tls', 'http', 'file', 'sftp')),
  CONSTRAINT chk_interface_configs_ack_mode CHECK (ack_mode IN ('original', 'enhanced', 'none')),
  CONSTRAINT chk_interface_configs_port CHECK (port IS NULL OR port BETWEEN 1 AND 65535)
);
CREATE INDEX idx_interface_configs_active ON interface_configs (is_active, direction);
CREATE TRIGGER interface_configs_updated_at BEFORE UPDATE ON interface_configs
  FOR EACH ROW EXECUTE FUNCTION nilecare_interop_touch_updated_at();

CREATE TABLE hl7_messages (
  id                    VARCHAR(36)  NOT NULL DEFAULT gen_random_uuid()::text,
  direction             TEXT         NOT NULL,
  interface_config_id   VARCHAR(36)  NULL,
  message_type          VARCHAR(10)  NOT NULL,
  trigger_event         VARCHAR(10)  NULL,
  message_structure     VARCHAR(20)  NULL,
  control_id            VARCHAR(199) NULL,
  sending_application   VARCHAR(180) NOT NULL DEFAULT '',
  sending_facility      VARCHAR(180) NOT NULL DEFAULT '',
  receiving_application VARCHAR(180) NULL,
  receiving_facility    VARCHAR(180) NULL,
  hl7_version           VARCHAR(10)  NULL,
  processing_id         VARCHAR(3)   NULL,
  message_datetime      TIMESTAMPTZ(3) NULL,
  patient_identifier    VARCHAR(100) NULL,
  raw_message           TEXT         NOT NULL,
  message_hash          CHAR(64)     NOT NULL,
  status                TEXT         NOT NULL DEFAULT 'received',
  ack_code              VARCHAR(2)   NULL,
  ack_message           TEXT         NULL,
  error_message         TEXT         NULL,
  fhir_resources        JSONB        NULL,
  remote_address        VARCHAR(100) NULL,
  received_at           TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
  processed_at          TIMESTAMPTZ(3) NULL,
  created_at            TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
  updated_at            TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
  -- V2 (outbound delivery)
  source_resource       VARCHAR(140) COLLATE "C" NULL,
  source_version        INT          NULL,
  source_seq            BIGINT       NULL,
  source_part           SMALLINT     NULL,
  ordering_key          VARCHAR(140) COLLATE "C" NULL,
  -- V3 (inbound recovery)
  lease_until           TIMESTAMPTZ(3) NULL,
  locked_by             VARCHAR(100) NULL,
  duplicate_of          VARCHAR(36)  NULL,
  dedup_control_id      VARCHAR(199) GENERATED ALWAYS AS
                          (CASE WHEN status IN ('rejected', 'duplicate') THEN NULL ELSE control_id END) STORED,
  PRIMARY KEY (id),
  CONSTRAINT fk_hl7_messages_interface FOREIGN KEY (interface_config_id) REFERENCES interface_configs (id) ON DELETE SET NULL,
  CONSTRAINT fk_hl7_messages_duplicate_of FOREIGN KEY (duplicate_of) REFERENCES hl7_messages (id) ON DELETE SET NULL,
  CONSTRAINT chk_hl7_messages_direction CHECK (direction IN ('inbound', 'outbound')),
  CONSTRAINT chk_hl7_messages_status CHECK (status IN ('received', 'processing', 'processed', 'failed', 'rejected',
    'duplicate', 'queued', 'sent', 'acknowledged', 'error')),
  CONSTRAINT chk_hl7_messages_ack_code CHECK (ack_code IS NULL OR ack_code IN ('AA', 'AE', 'AR', 'CA', 'CE', 'CR'))
);
-- Duplicate detection: the same MSH-10 from the same sender, per direction, for the rows that hold their control id.
CREATE UNIQUE INDEX idx_hl7_messages_dedup ON hl7_messages (direction, sending_application, sending_facility, dedup_control_id);
CREATE UNIQUE INDEX idx_hl7_messages_source ON hl7_messages (interface_config_id, source_resource, source_version, source_part);
CREATE INDEX idx_hl7_messages_ordering ON hl7_messages (interface_config_id, ordering_key, source_seq, source_part);
CREATE INDEX idx_hl7_messages_interface_config_id ON hl7_messages (interface_config_id);
CREATE INDEX idx_hl7_messages_status ON hl7_messages (status, received_at);
CREATE INDEX idx_hl7_messages_type ON hl7_messages (message_type, trigger_event);
CREATE INDEX idx_hl7_messages_patient ON hl7_messages (patient_identifier);
CREATE INDEX idx_hl7_messages_received_at ON hl7_messages (received_at);
CREATE INDEX idx_hl7_messages_hash ON hl7_messages (message_hash);
CREATE INDEX idx_hl7_messages_lease ON hl7_messages (status, lease_until);
CREATE INDEX idx_hl7_messages_control_id ON hl7_messages (control_id);
CREATE TRIGGER hl7_messages_updated_at BEFORE UPDATE ON hl7_messages
  FOR EACH ROW EXECUTE FUNCTION nilecare_interop_touch_updated_at();

CREATE TABLE hl7_message_logs (
  id          VARCHAR(36) NOT NULL DEFAULT gen_random_uuid()::text,
  message_id  VARCHAR(36) NOT NULL,
  level       TEXT        NOT NULL DEFAULT 'info',
  stage       TEXT        NOT NULL,
  message     TEXT        NOT NULL,
  details     JSONB       NULL,
  created_at  TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (id),
  CONSTRAINT fk_hl7_message_logs_message FOREIGN KEY (message_id) REFERENCES hl7_messages (id) ON DELETE CASCADE,
  CONSTRAINT chk_hl7_message_logs_level CHECK (level IN ('debug', 'info', 'warning', 'error')),
  CONSTRAINT chk_hl7_message_logs_stage CHECK (stage IN ('receive', 'parse', 'validate', 'map', 'transaction', 'ack',
    'send', 'retry'))
);
CREATE INDEX idx_hl7_message_logs_message_id ON hl7_message_logs (message_id, created_at);
CREATE INDEX idx_hl7_message_logs_level ON hl7_message_logs (level, created_at);

CREATE TABLE fhir_mappings (
  id                  VARCHAR(36)  NOT NULL DEFAULT gen_random_uuid()::text,
  name                VARCHAR(100) NOT NULL,
  version             INT          NOT NULL DEFAULT 1,
  direction           TEXT         NOT NULL,
  message_type        VARCHAR(10)  NOT NULL,
  trigger_event       VARCHAR(10)  NULL,
  hl7_version         VARCHAR(10)  NULL,
  sending_application VARCHAR(180) NULL,
  sending_facility    VARCHAR(180) NULL,
  segment             VARCHAR(3)   NULL,
  field_path          VARCHAR(50)  NULL,
  fhir_resource_type  VARCHAR(64)  NULL,
  fhir_path           VARCHAR(255) NULL,
  transform           VARCHAR(50)  NULL,
  code_map            JSONB        NULL,
  definition          JSONB        NULL,
  priority            INT          NOT NULL DEFAULT 100,
  is_active           BOOLEAN      NOT NULL DEFAULT TRUE,
  description         TEXT         NULL,
  created_at          TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
  updated_at          TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (id),
  CONSTRAINT idx_fhir_mappings_name_version UNIQUE (name, version),
  CONSTRAINT chk_fhir_mappings_direction CHECK (direction IN ('hl7_to_fhir', 'fhir_to_hl7'))
);
CREATE INDEX idx_fhir_mappings_lookup ON fhir_mappings (message_type, trigger_event, direction, is_active);
CREATE TRIGGER fhir_mappings_updated_at BEFORE UPDATE ON fhir_mappings
  FOR EACH ROW EXECUTE FUNCTION nilecare_interop_touch_updated_at();

CREATE TABLE message_queue (
  id                  VARCHAR(36) NOT NULL DEFAULT gen_random_uuid()::text,
  message_id          VARCHAR(36) NULL,
  interface_config_id VARCHAR(36) NULL,
  direction           TEXT        NOT NULL,
  priority            SMALLINT    NOT NULL DEFAULT 5,
  status              TEXT        NOT NULL DEFAULT 'pending',
  payload             TEXT        NULL,
  attempts            INT         NOT NULL DEFAULT 0,
  max_attempts        INT         NOT NULL DEFAULT 5,
  next_attempt_at     TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
  locked_by           VARCHAR(100) NULL,
  locked_at           TIMESTAMPTZ(3) NULL,
  last_error          TEXT        NULL,
  completed_at        TIMESTAMPTZ(3) NULL,
  created_at          TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
  updated_at          TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (id),
  CONSTRAINT fk_message_queue_message FOREIGN KEY (message_id) REFERENCES hl7_messages (id) ON DELETE CASCADE,
  CONSTRAINT fk_message_queue_interface FOREIGN KEY (interface_config_id) REFERENCES interface_configs (id) ON DELETE SET NULL,
  CONSTRAINT chk_message_queue_direction CHECK (direction IN ('inbound', 'outbound')),
  CONSTRAINT chk_message_queue_status CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'dead_letter')),
  CONSTRAINT chk_message_queue_attempts CHECK (attempts >= 0 AND max_attempts >= 1),
  CONSTRAINT chk_message_queue_priority CHECK (priority BETWEEN 1 AND 9)
);
CREATE INDEX idx_message_queue_message_id ON message_queue (message_id);
CREATE INDEX idx_message_queue_interface_config_id ON message_queue (interface_config_id);
CREATE INDEX idx_message_queue_poll ON message_queue (status, next_attempt_at, priority);
CREATE TRIGGER message_queue_updated_at BEFORE UPDATE ON message_queue
  FOR EACH ROW EXECUTE FUNCTION nilecare_interop_touch_updated_at();

CREATE TABLE hl7_outbound_state (
  name           VARCHAR(50) NOT NULL,
  cursor_seq     BIGINT      NOT NULL DEFAULT 0,
  planned        BIGINT      NOT NULL DEFAULT 0,
  last_change_at VARCHAR(40) NULL,
  created_at     TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
  updated_at     TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (name)
);
CREATE TRIGGER hl7_outbound_state_updated_at BEFORE UPDATE ON hl7_outbound_state
  FOR EACH ROW EXECUTE FUNCTION nilecare_interop_touch_updated_at();
