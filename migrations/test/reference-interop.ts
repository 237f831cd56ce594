import type { DatabaseRef } from './schema-checks.js';

/**
 * nilecare_interop: the reference (§MySQL 11) names the five tables only; the key columns checked
 * here are the choices recorded in migrations/README.md.
 */
export const nilecareInterop: DatabaseRef = {
  engine: 'mysql',
  tables: {
    hl7_messages: {
      columns: {
        id: 'CHAR(36)',
        direction: 'ENUM',
        message_type: 'VARCHAR(10)',
        trigger_event: 'VARCHAR(10)',
        control_id: 'VARCHAR(199)',
        sending_application: 'VARCHAR(180)',
        sending_facility: 'VARCHAR(180)',
        raw_message: 'MEDIUMTEXT',
        status: 'ENUM',
        ack_code: 'VARCHAR(2)',
        error_message: 'TEXT',
        fhir_resources: 'JSON',
        created_at: 'TIMESTAMP',
        updated_at: 'TIMESTAMP',
        // V2 (outbound delivery): the FHIR change an outbound message came from, and its ordering key.
        source_resource: 'VARCHAR(140)',
        source_version: 'INT',
        source_seq: 'BIGINT',
        ordering_key: 'VARCHAR(140)',
        // V3 (inbound recovery): leases, refused resends, the dedup key that refused rows do not hold.
        lease_until: 'DATETIME(3)',
        locked_by: 'VARCHAR(100)',
        duplicate_of: 'CHAR(36)',
        dedup_control_id: 'VARCHAR(199)',
        message_datetime: 'DATETIME(3)',
      },
      pk: ['id'],
      unique: [
        ['direction', 'sending_application', 'sending_facility', 'dedup_control_id'],
        ['interface_config_id', 'source_resource', 'source_version', 'source_part'],
      ],
      fks: { interface_config_id: 'interface_configs', duplicate_of: 'hl7_messages' },
      indexes: [
        ['status', 'received_at'],
        ['status', 'lease_until'],
        ['message_type', 'trigger_event'],
      ],
      enums: {
        direction: ['inbound', 'outbound'],
        status: ['received', 'processed', 'failed', 'rejected', 'duplicate', 'sent', 'acknowledged'],
      },
    },
    hl7_message_logs: {
      pk: ['id'],
      fks: { message_id: 'hl7_messages' },
      columns: { message: 'TEXT', details: 'JSON' },
    },
    fhir_mappings: {
      pk: ['id'],
      unique: [['name', 'version']],
      columns: {
        message_type: 'VARCHAR(10)',
        trigger_event: 'VARCHAR(10)',
        fhir_resource_type: 'VARCHAR(64)',
        definition: 'JSON',
        is_active: 'BOOLEAN',
      },
      enums: { direction: ['hl7_to_fhir', 'fhir_to_hl7'] },
    },
    interface_configs: {
      pk: ['id'],
      unique: [['name']],
      columns: { host: 'VARCHAR(255)', port: 'INT', is_active: 'BOOLEAN' },
    },
    message_queue: {
      pk: ['id'],
      fks: { message_id: 'hl7_messages', interface_config_id: 'interface_configs' },
      indexes: [['status', 'next_attempt_at', 'priority']],
      enums: { status: ['pending', 'processing', 'completed', 'failed', 'dead_letter'] },
    },
    // V2: the outbound worker's cursor in the FHIR change log (not in the schema reference; see
    // V2__Outbound_delivery.sql).
    hl7_outbound_state: { pk: ['name'], columns: { cursor_seq: 'BIGINT' } },
  },
};
