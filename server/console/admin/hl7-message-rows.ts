/**
 * Read side of the HL7 message log for the console (nilecare_interop: hl7_messages, hl7_message_logs,
 * message_queue), in the AdminApi's shapes. Writes stay with adapters/hl7v2/log/mysql-message-log.ts; these are
 * our own read queries. DATETIME columns are written by the server in UTC (CURRENT_TIMESTAMP on a UTC session).
 */
import mysql from 'mysql2/promise';
import type { Hl7MessageDetail, Hl7MessageFilter, Hl7MessageLogEntry, Hl7MessageSummary } from '../admin-api.js';

type Row = mysql.RowDataPacket & Record<string, any>;

const SUMMARY_COLUMNS =
  'id, direction, message_type, trigger_event, control_id, sending_application, sending_facility, status, ack_code, patient_identifier, received_at, processed_at, error_message';

/** `2024-01-02 08:30:00.123` (MySQL DATETIME text, UTC) or a Date (PostgreSQL TIMESTAMPTZ) → ISO 8601. */
export function isoFromSql(value: string | Date | null | undefined): string | null {
  if (!value) return null;
  if (value instanceof Date) return value.toISOString();
  return `${value.replace(' ', 'T')}${value.includes('.') ? '' : '.000'}Z`;
}

/** ISO 8601 → MySQL DATETIME(3) text in UTC. */
export function sqlFromIso(iso: string): string {
  return new Date(iso).toISOString().slice(0, 23).replace('T', ' ');
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

function summaryOf(r: Row): Hl7MessageSummary {
  const error = r.error_message ? String(r.error_message).split('\n')[0]! : null;
  return {
    id: r.id,
    direction: r.direction,
    type: r.trigger_event ? `${r.message_type}^${r.trigger_event}` : r.message_type,
    controlId: r.control_id ?? null,
    sender: `${r.sending_application}|${r.sending_facility}`,
    status: r.status,
    ackCode: r.ack_code ?? null,
    patientIdentifier: r.patient_identifier ?? null,
    receivedAt: isoFromSql(r.received_at)!,
    processedAt: isoFromSql(r.processed_at),
    error,
  };
}

/** WHERE clause and parameters for a filter (sender: prefix of `MSH-3|MSH-4`; keyset on received_at, id). */
export function filterSql(f: Hl7MessageFilter): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (f.type) {
    const [code, event] = f.type.split('^');
    clauses.push('message_type = ?');
    params.push(code);
    if (event) {
      clauses.push('trigger_event = ?');
      params.push(event);
    }
  }
  if (f.sender) {
    const bar = f.sender.indexOf('|');
    if (bar < 0) {
      clauses.push('sending_application LIKE ?'); // backslash is the default LIKE escape of MySQL and PostgreSQL
      params.push(`${escapeLike(f.sender)}%`);
    } else {
      clauses.push('sending_application = ? AND sending_facility LIKE ?');
      params.push(f.sender.slice(0, bar), `${escapeLike(f.sender.slice(bar + 1))}%`);
    }
  }
  if (f.status) {
    clauses.push('status = ?');
    params.push(f.status);
  }
  if (f.before) {
    const at = sqlFromIso(f.before);
    if (f.beforeId) {
      clauses.push('(received_at < ? OR (received_at = ? AND id < ?))');
      params.push(at, at, f.beforeId);
    } else {
      clauses.push('received_at < ?');
      params.push(at);
    }
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export interface Hl7MessageRows {
  list(filter: Hl7MessageFilter): Promise<Hl7MessageSummary[]>;
  detail(id: string): Promise<Hl7MessageDetail | undefined>;
  /** The open (pending) replay-queue item of a message, if any. */
  pendingQueueItem(messageId: string): Promise<{ id: string; attempts: number } | undefined>;
  ping(): Promise<string>;
  close(): Promise<void>;
}

/** Runs a read on nilecare_interop (`?` placeholders): the embedded PostgreSQL schema (server/hl7-wiring.ts). */
export type InteropQuery = (sql: string, params?: unknown[]) => Promise<Record<string, any>[]>;

/** The rows of nilecare_interop on MySQL (its URL) or wherever `source` runs the SQL (the embedded PostgreSQL). */
export function hl7MessageRows(source: string | InteropQuery): Hl7MessageRows {
  const pool =
    typeof source === 'string' ? mysql.createPool({ uri: source, connectionLimit: 3, dateStrings: true }) : undefined;
  const query = async (sql: string, params: unknown[] = []): Promise<Row[]> =>
    pool ? (await pool.query<Row[]>(sql, params))[0] : ((await (source as InteropQuery)(sql, params)) as Row[]);
  return {
    async list(f) {
      const { where, params } = filterSql(f);
      const rows = await query(
        `SELECT ${SUMMARY_COLUMNS} FROM hl7_messages ${where} ORDER BY received_at DESC, id DESC LIMIT ?`,
        [...params, f.limit],
      );
      return rows.map(summaryOf);
    },
    async detail(id) {
      const [row] = await query(
        `SELECT ${SUMMARY_COLUMNS}, raw_message, ack_message, fhir_resources FROM hl7_messages WHERE id = ?`,
        [id],
      );
      if (!row) return undefined;
      // created_at is a TIMESTAMP (seconds): the insertion order breaks ties within a second.
      const logs = await query(
        'SELECT created_at, level, stage, message FROM hl7_message_logs WHERE message_id = ? ORDER BY created_at, id',
        [id],
      );
      const queue = await query(
        'SELECT id, status, attempts, max_attempts, next_attempt_at, last_error FROM message_queue WHERE message_id = ? ORDER BY created_at, COALESCE(completed_at, next_attempt_at), id',
        [id],
      );
      const resources =
        typeof row.fhir_resources === 'string' ? (JSON.parse(row.fhir_resources) as unknown) : row.fhir_resources;
      return {
        ...summaryOf(row),
        raw: row.raw_message,
        ack: row.ack_message ?? null,
        errorDetail: row.error_message ?? null,
        fhirResources: Array.isArray(resources) ? resources.map(String) : [],
        logs: logs.map((l): Hl7MessageLogEntry => ({
          at: isoFromSql(l.created_at)!,
          level: l.level,
          stage: l.stage,
          message: l.message,
        })),
        queue: queue.map((q) => ({
          id: q.id,
          status: q.status,
          attempts: Number(q.attempts),
          maxAttempts: Number(q.max_attempts),
          nextAttemptAt: isoFromSql(q.next_attempt_at)!,
          lastError: q.last_error ?? null,
        })),
      };
    },
    async pendingQueueItem(messageId) {
      const [q] = await query(
        "SELECT id, attempts FROM message_queue WHERE message_id = ? AND status = 'pending' ORDER BY created_at LIMIT 1",
        [messageId],
      );
      return q ? { id: q.id, attempts: Number(q.attempts) } : undefined;
    },
    async ping() {
      const [r] = await query('SELECT VERSION() AS v');
      return String(r?.v ?? '');
    },
    close: async () => await pool?.end(),
  };
}
