/**
 * MessageLog on MySQL/MariaDB (nilecare_interop, migrations/mysql/nilecare_interop): hl7_messages with its
 * (direction, sending application, sending facility, control id) unique key for duplicates, hl7_message_logs,
 * message_queue for replays, and fhir_mappings rows with a code_map as code-table overrides.
 * Outcomes and log lines are group-committed (mysql-write-batch.ts): one transaction, one round trip and one redo-log
 * flush for the writes of all the messages in flight; each call still resolves only once its write is committed.
 * The insert of a new message (the duplicate check) is a statement of its own.
 */
import { createHash, randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { CodeOverride, TableCoding } from '../mapping/code-tables.js';
import type { AckCode } from '../ack/ack-builder.js';
import { MysqlWriteBatch } from './mysql-write-batch.js';
import type {
  LogLevel,
  LogStage,
  MessageLog,
  MessageOutcome,
  MessageRecord,
  MessageStatus,
  QueueItem,
  StoredMessage,
} from './message-log.js';

const FINAL: ReadonlySet<MessageStatus> = new Set(['processed', 'failed', 'rejected', 'error', 'acknowledged']);

function json(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

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
  ): Promise<StoredMessage | undefined> {
    const [rows] = await this.pool.query<mysql.RowDataPacket[]>(
      'SELECT id, status, ack_code, ack_message, raw_message FROM hl7_messages WHERE direction = ? AND sending_application = ? AND sending_facility = ? AND control_id = ?',
      [direction, app, fac, controlId],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      id: r.id,
      status: r.status,
      raw: r.raw_message,
      ...(r.ack_code ? { ackCode: r.ack_code as AckCode } : {}),
      ...(r.ack_message ? { ack: r.ack_message } : {}),
    };
  }

  async record(m: MessageRecord): Promise<string | undefined> {
    const id = randomUUID();
    try {
      await this.pool.query(
        `INSERT INTO hl7_messages (id, direction, message_type, trigger_event, message_structure, control_id, sending_application, sending_facility,
           receiving_application, receiving_facility, hl7_version, processing_id, patient_identifier, raw_message, message_hash, status, remote_address)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
          m.patientIdentifier ?? null,
          m.raw,
          createHash('sha256').update(m.raw).digest('hex'),
          m.status ?? 'received',
          m.remoteAddress?.slice(0, 100) ?? null,
        ],
      );
      return id;
    } catch (err) {
      if ((err as { code?: string }).code === 'ER_DUP_ENTRY') return undefined;
      throw err;
    }
  }

  async outcome(id: string, o: MessageOutcome): Promise<void> {
    await this.batch.run(
      `UPDATE hl7_messages SET status = ?, ack_code = COALESCE(?, ack_code), ack_message = COALESCE(?, ack_message), error_message = ?,
         fhir_resources = COALESCE(?, fhir_resources), processed_at = IF(?, CURRENT_TIMESTAMP(3), processed_at) WHERE id = ?`,
      [
        o.status,
        o.ackCode ?? null,
        o.ack ?? null,
        o.error ?? null,
        o.resources ? JSON.stringify(o.resources) : null,
        FINAL.has(o.status),
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

  async settle(queueId: string, result: 'completed' | 'failed', error?: string): Promise<void> {
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

  async codeOverrides(): Promise<CodeOverride[]> {
    // Higher priority numbers first so that lower numbers (more important) and later versions win.
    const [rows] = await this.pool.query<mysql.RowDataPacket[]>(
      "SELECT name, code_map FROM fhir_mappings WHERE is_active AND direction = 'hl7_to_fhir' AND code_map IS NOT NULL ORDER BY priority DESC, version ASC",
    );
    const out: CodeOverride[] = [];
    for (const r of rows) {
      const map = json(r.code_map);
      if (!map || typeof map !== 'object') continue;
      for (const [source, target] of Object.entries(map as Record<string, unknown>)) {
        if (typeof target === 'string') out.push({ table: r.name, source, target: { code: target } });
        else if (target && typeof target === 'object' && typeof (target as TableCoding).code === 'string')
          out.push({ table: r.name, source, target: target as TableCoding });
      }
    }
    return out;
  }
}
