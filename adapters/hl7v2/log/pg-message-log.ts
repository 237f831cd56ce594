/**
 * MessageLog on PostgreSQL: the twin of mysql-message-log.ts on the same tables in PostgreSQL dialect
 * (migrations/embedded/postgres/nilecare_interop), kept in the schema nilecare_interop of the FHIR store's own
 * database — the embedded PGlite by default — when INTEROP_MYSQL_URL is not set. Same semantics: the duplicate key
 * on (direction, sender, dedup_control_id), leases of messages being processed, log lines, the replay queue, the
 * site's fhir_mappings rows and the inbound interface_configs. Outcomes and log lines are group-committed
 * (pg-write-batch.ts); the insert of a new message (the duplicate check) is a statement of its own.
 */
import { randomUUID } from 'node:crypto';
import type { MappingRow } from '../mapping/site-mappings.js';
import type { StateDb } from '../../../server/state/state-db.js';
import { PgWriteBatch } from './pg-write-batch.js';
import {
  inboundInterfaceOf,
  mappingRowOf,
  senderParams,
  storedMessageOf,
  type InterfaceDbRow,
  type MappingDbRow,
  type MessageDbRow,
} from './log-rows.js';
import {
  ownerId,
  type InboundInterface,
  type LeaseOwner,
  type LogLevel,
  type LogStage,
  type MessageLog,
  type MessageOutcome,
  type MessageRecord,
  type MessageStatus,
  type QueueItem,
  type StoredMessage,
} from './message-log.js';

const FINAL: ReadonlySet<MessageStatus> = new Set(['processed', 'failed', 'rejected', 'error', 'acknowledged']);

const DEFAULT_LEASE_MS = 120_000;
type Text = string | null;

/** The content of one fhir_mappings row as a hash: retireMappingRow deactivates a row only while it is unchanged. */
const PG_ROW_FINGERPRINT = `md5(concat_ws('|', id, version, is_active, direction, message_type, trigger_event, hl7_version,
  sending_application, sending_facility, segment, field_path, fhir_resource_type, fhir_path, transform, code_map::text,
  definition::text, priority))`;

/** See mysql-message-log.ts STALE: lease over, or held by another boot of this node. */
const STALE = `(status = 'processing' AND (lease_until IS NULL OR lease_until < clock_timestamp() OR (locked_by LIKE ? AND locked_by <> ?)))`;
const staleParams = (owner?: LeaseOwner): string[] =>
  owner ? [`${owner.node.replace(/[\\%_]/g, (c) => `\\${c}`)}:%`, ownerId(owner)] : ['\u0001', '\u0001'];

export class PgMessageLog implements MessageLog {
  private readonly batch: PgWriteBatch;

  /** `db`: the nilecare_interop schema, migrated (server/state: postgresStateDb). */
  constructor(private readonly db: StateDb) {
    if (db.dialect !== 'postgres') throw new Error('PgMessageLog needs the PostgreSQL dialect');
    this.batch = new PgWriteBatch(db);
  }

  /** Waits for the queued writes; the database itself belongs to whoever opened it. */
  async close(): Promise<void> {
    await this.batch.drain();
  }

  private async rows<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return (await this.db.query(sql, params)).rows as R[];
  }

  async find(
    direction: 'inbound' | 'outbound',
    app: string,
    fac: string,
    controlId: string,
    owner?: LeaseOwner,
  ): Promise<StoredMessage | undefined> {
    const [r] = await this.rows<MessageDbRow>(
      `SELECT id, status, ack_code, ack_message, raw_message, message_hash, ${STALE} AS stale FROM hl7_messages
       WHERE direction = ? AND sending_application = ? AND sending_facility = ? AND dedup_control_id = ?`,
      [...staleParams(owner), direction, app, fac, controlId],
    );
    return r ? storedMessageOf(r) : undefined;
  }

  async record(m: MessageRecord): Promise<string | undefined> {
    const id = randomUUID();
    const leased = m.status === 'processing';
    const inserted = await this.rows<{ id: string }>(
      `INSERT INTO hl7_messages (id, direction, message_type, trigger_event, message_structure, control_id, sending_application, sending_facility,
         receiving_application, receiving_facility, hl7_version, processing_id, message_datetime, patient_identifier, raw_message, message_hash,
         status, remote_address, locked_by, lease_until, duplicate_of, ack_code, ack_message, error_message, processed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::timestamptz, ?, ?, ?, ?, ?, ?,
         ${leased ? 'clock_timestamp() + make_interval(secs => ?::float8)' : '?::timestamptz'}, ?, ?, ?, ?,
         ${leased ? 'NULL' : 'clock_timestamp()'})
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        id,
        m.direction,
        m.messageType || '?',
        m.triggerEvent ?? null,
        m.structure ?? null,
        m.controlId || null,
        m.sendingApplication,
        m.sendingFacility,
        m.receivingApplication ?? null,
        m.receivingFacility ?? null,
        m.version ?? null,
        m.processingId ?? null,
        m.messageDatetime ? new Date(m.messageDatetime).toISOString() : null,
        m.patientIdentifier ?? null,
        m.raw,
        m.hash,
        m.status,
        m.remoteAddress?.slice(0, 100) ?? null,
        leased && m.owner ? m.owner : null,
        leased ? (m.leaseMs ?? DEFAULT_LEASE_MS) / 1000 : null,
        m.duplicateOf ?? null,
        m.ackCode ?? null,
        m.ack ?? null,
        m.error ?? null,
      ],
    );
    return inserted.length === 1 ? id : undefined;
  }

  async claim(id: string, owner: LeaseOwner, leaseMs: number): Promise<boolean> {
    const { affectedRows } = await this.db.query(
      `UPDATE hl7_messages SET status = 'processing', locked_by = ?, lease_until = clock_timestamp() + make_interval(secs => ?::float8)
       WHERE id = ? AND (status <> 'processing' OR ${STALE})`,
      [ownerId(owner), leaseMs / 1000, id, ...staleParams(owner)],
    );
    return affectedRows === 1;
  }

  async stale(owner: LeaseOwner, limit: number): Promise<{ id: string; raw: string }[]> {
    const rows = await this.rows<{ id: string; raw_message: string }>(
      `SELECT id, raw_message FROM hl7_messages WHERE status = 'processing' AND direction = 'inbound' AND ${STALE}
       ORDER BY received_at LIMIT ?::int`,
      [...staleParams(owner), limit],
    );
    return rows.map((r) => ({ id: r.id, raw: r.raw_message }));
  }

  async outcome(id: string, o: MessageOutcome): Promise<void> {
    await this.batch.run(
      `UPDATE hl7_messages SET status = ?::text, ack_code = COALESCE(?::text, ack_code), ack_message = COALESCE(?::text, ack_message),
         error_message = ?::text, fhir_resources = COALESCE(?::jsonb, fhir_resources),
         processed_at = CASE WHEN ?::boolean THEN clock_timestamp() ELSE processed_at END,
         lease_until = CASE WHEN ?::text = 'processing' THEN lease_until END,
         locked_by = CASE WHEN ?::text = 'processing' THEN locked_by END WHERE id = ?`,
      [
        o.status,
        o.ackCode ?? null,
        o.ack ?? null,
        o.error ?? null,
        o.resources ? JSON.stringify(o.resources) : null,
        FINAL.has(o.status),
        o.status,
        o.status,
        id,
      ],
    );
  }

  async log(id: string, level: LogLevel, stage: LogStage, message: string, details?: unknown): Promise<void> {
    await this.batch.run(
      'INSERT INTO hl7_message_logs (id, message_id, level, stage, message, details) VALUES (?, ?, ?, ?, ?, ?::jsonb)',
      [
        randomUUID(),
        id,
        level,
        stage,
        message.slice(0, 60_000),
        details === undefined ? null : JSON.stringify(details),
      ],
    );
  }

  async enqueue(messageId: string, error: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { rows: open } = await tx.query<{ id: string }>(
        "SELECT id FROM message_queue WHERE message_id = ? AND status = 'pending' FOR UPDATE",
        [messageId],
      );
      if (open[0]) {
        await tx.query('UPDATE message_queue SET last_error = ? WHERE id = ?', [error, open[0].id]);
        return;
      }
      await tx.query(
        "INSERT INTO message_queue (id, message_id, direction, status, last_error) VALUES (?, ?, 'inbound', 'pending', ?)",
        [randomUUID(), messageId, error],
      );
    });
  }

  async due(limit: number): Promise<QueueItem[]> {
    const rows = await this.rows<{ id: string; message_id: string; attempts: number; raw_message: string }>(
      `SELECT q.id, q.message_id, q.attempts, m.raw_message FROM message_queue q JOIN hl7_messages m ON m.id = q.message_id
       WHERE q.status = 'pending' AND q.direction = 'inbound' AND q.next_attempt_at <= clock_timestamp()
       ORDER BY q.priority, q.next_attempt_at, q.created_at LIMIT ?::int`,
      [limit],
    );
    return rows.map((r) => ({ id: r.id, messageId: r.message_id, raw: r.raw_message, attempts: Number(r.attempts) }));
  }

  async settle(queueId: string, result: 'completed' | 'failed' | 'permanent', error?: string): Promise<void> {
    if (result === 'permanent') {
      await this.db.query(
        "UPDATE message_queue SET status = 'failed', attempts = attempts + 1, last_error = ?, completed_at = clock_timestamp() WHERE id = ?",
        [error ?? null, queueId],
      );
      return;
    }
    if (result === 'completed') {
      await this.db.query(
        "UPDATE message_queue SET status = 'completed', attempts = attempts + 1, completed_at = clock_timestamp(), last_error = NULL WHERE id = ?",
        [queueId],
      );
      return;
    }
    // Failed: back off (1 min × 2^attempts, at most a day); dead letter after max_attempts. PostgreSQL evaluates every
    // SET expression on the old row, so the new attempt count is attempts + 1 throughout (MySQL sees it updated).
    await this.db.query(
      `UPDATE message_queue SET attempts = attempts + 1, last_error = ?,
         status = CASE WHEN attempts + 1 >= max_attempts THEN 'dead_letter' ELSE 'pending' END,
         next_attempt_at = clock_timestamp() + LEAST(1440, power(2, attempts + 1)) * interval '1 minute'
       WHERE id = ?`,
      [error ?? null, queueId],
    );
  }

  async mappingRows(): Promise<MappingRow[]> {
    const rows = await this.rows<MappingDbRow>(
      `SELECT id, name, version, message_type, trigger_event, hl7_version, sending_application, sending_facility, segment, field_path,
         fhir_resource_type, fhir_path, transform, code_map, definition, priority, ${PG_ROW_FINGERPRINT} AS fingerprint
       FROM fhir_mappings WHERE is_active AND direction = 'hl7_to_fhir' ORDER BY priority DESC, version ASC, name`,
    );
    return rows.map(mappingRowOf);
  }

  async retireMappingRow(row: MappingRow, note: string): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE fhir_mappings SET is_active = false, description = concat_ws(chr(10), description, ?::text)
       WHERE id = ? AND is_active AND ${PG_ROW_FINGERPRINT} = ?`,
      [note, row.id, row.fingerprint ?? ''],
    );
    return result.affectedRows === 1;
  }

  async mappingsVersion(): Promise<string> {
    const [r] = await this.rows<{ n: number | string; at: Text; crc: Text }>(
      `SELECT COUNT(*) AS n, MAX(updated_at)::text AS at, md5(string_agg(concat_ws('|', id, version, is_active, direction, message_type,
         trigger_event, hl7_version, sending_application, sending_facility, segment, field_path, fhir_resource_type, fhir_path, transform,
         code_map::text, definition::text, priority), ',' ORDER BY id)) AS crc FROM fhir_mappings`,
    );
    return `${String(r!.n)}/${r!.at ?? ''}/${r!.crc ?? 0}`;
  }

  async inboundInterface(app: string, fac: string): Promise<InboundInterface | undefined> {
    const [r] = await this.rows<InterfaceDbRow>(
      `SELECT id, name, character_encoding, ack_mode, settings FROM interface_configs
       WHERE is_active AND deleted_at IS NULL AND direction IN ('inbound', 'bidirectional')
         AND (sending_application IS NULL OR sending_application IN (?, ?)) AND (sending_facility IS NULL OR sending_facility IN (?, ?))
       ORDER BY (sending_application IS NULL), (sending_facility IS NULL), name LIMIT 1`,
      senderParams(app, fac),
    );
    return r ? inboundInterfaceOf(r) : undefined;
  }
}
