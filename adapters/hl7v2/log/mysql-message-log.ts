/**
 * MessageLog on MySQL/MariaDB (nilecare_interop, migrations/mysql/nilecare_interop): hl7_messages with its
 * (direction, sending application, sending facility, control id) unique key for duplicates (rows rejected or
 * refused as duplicates do not hold it), leases of messages being processed, hl7_message_logs, message_queue for
 * replays, the site's fhir_mappings rows and the inbound interface_configs.
 * New messages, outcomes and log lines are group-committed (mysql-write-batch.ts): one transaction, one round trip and
 * one redo-log flush for the writes of all the messages in flight; each call still resolves only once its write is
 * committed, and the insert of a new message that hits the duplicate key fails alone (the batch is retried statement
 * by statement).
 */
import { randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { MappingRow } from '../mapping/site-mappings.js';
import { MysqlWriteBatch } from './mysql-write-batch.js';
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

/**
 * A processing row that may be claimed again: its lease is over, or its holder is another boot of this node (the
 * process that held it is gone). Parameters: see staleParams.
 */
const STALE = `(status = 'processing' AND (lease_until IS NULL OR lease_until < CURRENT_TIMESTAMP(3) OR (locked_by LIKE ? AND locked_by <> ?)))`;
const staleParams = (owner?: LeaseOwner): string[] =>
  owner ? [`${owner.node.replace(/[\\%_]/g, (c) => `\\${c}`)}:%`, ownerId(owner)] : ['\u0000', '\u0000'];

export class MysqlMessageLog implements MessageLog {
  private readonly batch: MysqlWriteBatch;

  private constructor(
    private readonly pool: mysql.Pool,
    private readonly batchPool: mysql.Pool,
  ) {
    this.batch = new MysqlWriteBatch(batchPool);
  }

  static open(url: string, connectionLimit = 5): MysqlMessageLog {
    // Batches are committed one at a time: their pool needs one connection (a second one if the first broke).
    return new MysqlMessageLog(
      mysql.createPool({ uri: url, connectionLimit, dateStrings: true }),
      mysql.createPool({ uri: url, connectionLimit: 2, dateStrings: true, multipleStatements: true }),
    );
  }

  async close(): Promise<void> {
    await this.batch.drain();
    await Promise.all([this.pool.end(), this.batchPool.end()]);
  }

  async find(
    direction: 'inbound' | 'outbound',
    app: string,
    fac: string,
    controlId: string,
    owner?: LeaseOwner,
  ): Promise<StoredMessage | undefined> {
    const [rows] = await this.pool.query<mysql.RowDataPacket[]>(
      `SELECT id, status, ack_code, ack_message, raw_message, message_hash, ${STALE} AS stale FROM hl7_messages
       WHERE direction = ? AND sending_application = ? AND sending_facility = ? AND dedup_control_id = ?`,
      [...staleParams(owner), direction, app, fac, controlId],
    );
    const r = rows[0];
    return r ? storedMessageOf(r as MessageDbRow) : undefined;
  }

  async record(m: MessageRecord): Promise<string | undefined> {
    const id = randomUUID();
    const leased = m.status === 'processing';
    try {
      // Group-committed with the other messages' writes (one round trip and one redo-log flush for all in flight);
      // resolves once committed. A duplicate key fails the batch, whose statements are then run one by one, so
      // ER_DUP_ENTRY reaches this caller only.
      await this.batch.run(
        `INSERT INTO hl7_messages (id, direction, message_type, trigger_event, message_structure, control_id, sending_application, sending_facility,
           receiving_application, receiving_facility, hl7_version, processing_id, message_datetime, patient_identifier, raw_message, message_hash,
           status, remote_address, locked_by, lease_until, duplicate_of, ack_code, ack_message, error_message, processed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${leased ? 'CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND' : '?'}, ?, ?, ?, ?, ${leased ? 'NULL' : 'CURRENT_TIMESTAMP(3)'})`,
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
          m.messageDatetime ? sqlDatetime(m.messageDatetime) : null,
          m.patientIdentifier ?? null,
          m.raw,
          m.hash,
          m.status,
          m.remoteAddress?.slice(0, 100) ?? null,
          leased && m.owner ? m.owner : null,
          leased ? (m.leaseMs ?? DEFAULT_LEASE_MS) * 1000 : null,
          m.duplicateOf ?? null,
          m.ackCode ?? null,
          m.ack ?? null,
          m.error ?? null,
        ],
      );
      return id;
    } catch (err) {
      if ((err as { code?: string }).code === 'ER_DUP_ENTRY') return undefined;
      throw err;
    }
  }

  async claim(id: string, owner: LeaseOwner, leaseMs: number): Promise<boolean> {
    const [res] = await this.pool.query<mysql.ResultSetHeader>(
      `UPDATE hl7_messages SET status = 'processing', locked_by = ?, lease_until = CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND
       WHERE id = ? AND (status <> 'processing' OR ${STALE})`,
      [ownerId(owner), leaseMs * 1000, id, ...staleParams(owner)],
    );
    return res.affectedRows === 1;
  }

  async stale(owner: LeaseOwner, limit: number): Promise<{ id: string; raw: string }[]> {
    const [rows] = await this.pool.query<mysql.RowDataPacket[]>(
      `SELECT id, raw_message FROM hl7_messages WHERE status = 'processing' AND direction = 'inbound' AND ${STALE}
       ORDER BY received_at LIMIT ?`,
      [...staleParams(owner), limit],
    );
    return rows.map((r) => ({ id: r.id, raw: r.raw_message }));
  }

  async outcome(id: string, o: MessageOutcome): Promise<void> {
    await this.batch.run(
      `UPDATE hl7_messages SET status = ?, ack_code = COALESCE(?, ack_code), ack_message = COALESCE(?, ack_message), error_message = ?,
         fhir_resources = COALESCE(?, fhir_resources), processed_at = IF(?, CURRENT_TIMESTAMP(3), processed_at),
         lease_until = IF(? = 'processing', lease_until, NULL), locked_by = IF(? = 'processing', locked_by, NULL) WHERE id = ?`,
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
    await this.batch.insertRow('hl7_message_logs (id, message_id, level, stage, message, details)', [
      randomUUID(),
      id,
      level,
      stage,
      message.slice(0, 60_000),
      details === undefined ? null : JSON.stringify(details),
    ]);
  }

  async enqueue(messageId: string, error: string): Promise<void> {
    const [open] = await this.pool.query<mysql.RowDataPacket[]>(
      "SELECT id FROM message_queue WHERE message_id = ? AND status = 'pending'",
      [messageId],
    );
    if (open[0]) {
      await this.pool.query('UPDATE message_queue SET last_error = ? WHERE id = ?', [error, open[0].id]);
      return;
    }
    await this.pool.query(
      "INSERT INTO message_queue (id, message_id, direction, status, last_error) VALUES (?, ?, 'inbound', 'pending', ?)",
      [randomUUID(), messageId, error],
    );
  }

  async due(limit: number): Promise<QueueItem[]> {
    const [rows] = await this.pool.query<mysql.RowDataPacket[]>(
      `SELECT q.id, q.message_id, q.attempts, m.raw_message FROM message_queue q JOIN hl7_messages m ON m.id = q.message_id
       WHERE q.status = 'pending' AND q.direction = 'inbound' AND q.next_attempt_at <= CURRENT_TIMESTAMP(3)
       ORDER BY q.priority, q.next_attempt_at, q.created_at LIMIT ?`,
      [limit],
    );
    return rows.map((r) => ({ id: r.id, messageId: r.message_id, raw: r.raw_message, attempts: r.attempts }));
  }

  async settle(queueId: string, result: 'completed' | 'failed' | 'permanent', error?: string): Promise<void> {
    if (result === 'permanent') {
      await this.pool.query(
        "UPDATE message_queue SET status = 'failed', attempts = attempts + 1, last_error = ?, completed_at = CURRENT_TIMESTAMP(3) WHERE id = ?",
        [error ?? null, queueId],
      );
      return;
    }
    if (result === 'completed') {
      await this.pool.query(
        "UPDATE message_queue SET status = 'completed', attempts = attempts + 1, completed_at = CURRENT_TIMESTAMP(3), last_error = NULL WHERE id = ?",
        [queueId],
      );
      return;
    }
    // Failed: back off (1 min × 2^attempts, at most a day); dead letter after max_attempts.
    await this.pool.query(
      `UPDATE message_queue SET attempts = attempts + 1, last_error = ?,
         status = IF(attempts >= max_attempts, 'dead_letter', 'pending'),
         next_attempt_at = CURRENT_TIMESTAMP(3) + INTERVAL LEAST(1440, POW(2, attempts)) MINUTE
       WHERE id = ?`,
      [error ?? null, queueId],
    );
  }

  async mappingRows(): Promise<MappingRow[]> {
    const [rows] = await this.pool.query<mysql.RowDataPacket[]>(
      `SELECT id, name, version, message_type, trigger_event, hl7_version, sending_application, sending_facility, segment, field_path,
         fhir_resource_type, fhir_path, transform, code_map, definition, priority, ${MYSQL_ROW_FINGERPRINT} AS fingerprint
       FROM fhir_mappings WHERE is_active AND direction = 'hl7_to_fhir' ORDER BY priority DESC, version ASC, name`,
    );
    return rows.map((r) => mappingRowOf(r as MappingDbRow));
  }

  async retireMappingRow(row: MappingRow, note: string): Promise<boolean> {
    const [result] = await this.pool.query<mysql.ResultSetHeader>(
      `UPDATE fhir_mappings SET is_active = FALSE, description = CONCAT_WS('\n', description, ?)
       WHERE id = ? AND is_active AND ${MYSQL_ROW_FINGERPRINT} = ?`,
      [note, row.id, row.fingerprint ?? ''],
    );
    return result.affectedRows === 1;
  }

  async mappingsVersion(): Promise<string> {
    // Changes within one second (TIMESTAMP) are told apart by the checksum of the rows' content.
    const [rows] = await this.pool.query<mysql.RowDataPacket[]>(
      `SELECT COUNT(*) AS n, MAX(updated_at) AS at, BIT_XOR(CRC32(CONCAT_WS('|', id, version, is_active, direction, message_type,
         trigger_event, hl7_version, sending_application, sending_facility, segment, field_path, fhir_resource_type, fhir_path, transform,
         code_map, definition, priority))) AS crc FROM fhir_mappings`,
    );
    const r = rows[0]!;
    return `${r.n}/${r.at ?? ''}/${r.crc ?? 0}`;
  }

  async inboundInterface(app: string, fac: string): Promise<InboundInterface | undefined> {
    const [rows] = await this.pool.query<mysql.RowDataPacket[]>(
      `SELECT id, name, character_encoding, ack_mode, settings, sending_application, sending_facility FROM interface_configs
       WHERE is_active AND deleted_at IS NULL AND direction IN ('inbound', 'bidirectional')
         AND (sending_application IS NULL OR sending_application IN (?, ?)) AND (sending_facility IS NULL OR sending_facility IN (?, ?))
       ORDER BY (sending_application IS NULL), (sending_facility IS NULL), name LIMIT 1`,
      senderParams(app, fac),
    );
    const r = rows[0];
    return r ? inboundInterfaceOf(r as InterfaceDbRow) : undefined;
  }
}

/** The content of one fhir_mappings row as a hash: retireMappingRow deactivates a row only while it is unchanged. */
const MYSQL_ROW_FINGERPRINT = `MD5(CONCAT_WS('|', id, version, is_active, direction, message_type, trigger_event, hl7_version,
  sending_application, sending_facility, segment, field_path, fhir_resource_type, fhir_path, transform, code_map,
  definition, priority))`;

/** ISO instant → DATETIME(3) text in UTC. */
function sqlDatetime(iso: string): string {
  return new Date(iso).toISOString().slice(0, 23).replace('T', ' ');
}
