/**
 * The outbound message log on PostgreSQL: the twin of mysql-outbound-log.ts on the embedded nilecare_interop
 * (migrations/embedded/postgres/nilecare_interop), used when INTEROP_MYSQL_URL is not set. Same guarantees: a planned
 * batch is recorded with the change-feed cursor (at least once; the unique key (interface_config_id, source_resource,
 * source_version, source_part) keeps a change from being recorded twice: ON CONFLICT DO NOTHING, which leaves the
 * transaction usable), and heads() returns per ordering key only the first unfinished message, when it is due.
 *
 * On the embedded PGlite the store and this log share one connection, and the planner reads the store inside its
 * batch: a real transaction there would wait on itself. So on PGlite (one process: the folder lock) the batch runs
 * statement by statement, one batch at a time; the cursor moves last, so a crash re-plans the batch and the unique
 * key drops what was already recorded. On a PostgreSQL server it is one transaction, as on MySQL.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FeedDb, FeedTx } from '../../../server/change-feed/feed-state.js';
import type { StateDb, StateExecutor } from '../../../server/state/state-db.js';
import { Mutex } from '../../../server/store/postgres/sql-client.js';
import { parseMessage } from '../parser/parse-message.js';
import type { LogLevel, LogStage } from './message-log.js';
import type { EndpointCounts, OutboundHead, OutboundRecord, RetryPolicy, SendResult } from './outbound-log.js';

const ACK_CODES = new Set(['AA', 'AE', 'AR', 'CA', 'CE', 'CR']);
const HOLDING = "('pending', 'processing', 'dead_letter')";
const NOW = 'clock_timestamp()';

type HeadRow = {
  id: string;
  ordering_key: string;
  raw_message: string;
  control_id: string | null;
  queue_id: string | null;
  attempts: number | string;
};

export class PgOutboundLog {
  private readonly batches = new Mutex();

  /** `db`: the nilecare_interop schema, migrated; `isServer`: a PostgreSQL server (false: the embedded PGlite). */
  constructor(
    private readonly db: StateDb,
    private readonly isServer: boolean,
  ) {}

  async close(): Promise<void> {
    // the database belongs to whoever opened it
  }

  feedDb(): FeedDb {
    const asTx = (e: StateExecutor): FeedTx => ({
      dialect: 'postgres',
      query: async <T>(sql: string, params: unknown[] = []) => (await e.query(sql, params)).rows as T[],
    });
    return {
      ...asTx(this.db),
      transaction: (fn) =>
        this.isServer ? this.db.transaction((tx) => fn(asTx(tx))) : this.batches.run(() => fn(asTx(this.db))),
    };
  }

  async recordPlanned(tx: FeedTx, records: readonly OutboundRecord[]): Promise<number> {
    let inserted = 0;
    for (const r of records) if (await this.insert(tx, r)) inserted++;
    return inserted;
  }

  private async insert(tx: FeedTx, r: OutboundRecord): Promise<boolean> {
    const m = parseMessage(r.text);
    const type = m.messageType;
    const id = randomUUID();
    const rows = await tx.query(
      `INSERT INTO hl7_messages (id, direction, interface_config_id, message_type, trigger_event, message_structure, control_id, sending_application,
         sending_facility, receiving_application, receiving_facility, hl7_version, processing_id, patient_identifier, raw_message, message_hash, status,
         source_resource, source_version, source_seq, source_part, ordering_key)
       VALUES (?, 'outbound', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        id,
        r.endpointId,
        type.code || '?',
        type.event || null,
        type.structure || null,
        m.controlId || null,
        m.get('MSH-3'),
        m.get('MSH-4'),
        m.get('MSH-5') || null,
        m.get('MSH-6') || null,
        m.version || null,
        m.get('MSH-11') || null,
        m.get('PID-3').slice(0, 100) || null,
        r.text,
        createHash('sha256').update(r.text).digest('hex'),
        r.sourceResource,
        r.sourceVersion,
        r.sourceSeq,
        r.sourcePart,
        r.orderingKey,
      ],
    );
    if (rows.length === 0) return false; // already recorded (a re-planned batch)
    await this.log(tx, id, 'info', 'map', `planned from ${r.sourceResource}/_history/${r.sourceVersion}`, {
      seq: r.sourceSeq,
      orderingKey: r.orderingKey,
    });
    return true;
  }

  async heads(endpointId: string, limit = 100): Promise<OutboundHead[]> {
    const { rows } = await this.db.query<HeadRow>(
      `SELECT t.id, t.ordering_key, msg.raw_message, msg.control_id, t.queue_id, t.attempts FROM (
         SELECT b.id, b.ordering_key, b.source_seq, q.id AS queue_id, q.status AS queue_status,
                COALESCE(q.attempts, 0) AS attempts, q.next_attempt_at <= ${NOW} AS due,
                ROW_NUMBER() OVER (PARTITION BY b.ordering_key ORDER BY b.source_seq, b.source_part) AS rn
         FROM (
           SELECT id, ordering_key, source_seq, source_part FROM hl7_messages
            WHERE status IN ('queued', 'sent') AND direction = 'outbound' AND interface_config_id = ?
           UNION
           SELECT m.id, m.ordering_key, m.source_seq, m.source_part FROM message_queue mq JOIN hl7_messages m ON m.id = mq.message_id
            WHERE mq.direction = 'outbound' AND mq.status IN ${HOLDING} AND m.interface_config_id = ?
         ) b LEFT JOIN message_queue q ON q.message_id = b.id AND q.status IN ${HOLDING}
       ) t JOIN hl7_messages msg ON msg.id = t.id
       WHERE t.rn = 1 AND (t.queue_id IS NULL OR (t.queue_status = 'pending' AND t.due))
       ORDER BY t.source_seq LIMIT ?::int`,
      [endpointId, endpointId, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      orderingKey: r.ordering_key,
      raw: r.raw_message,
      controlId: r.control_id ?? '',
      attempts: Number(r.attempts),
      ...(r.queue_id ? { queueId: r.queue_id } : {}),
    }));
  }

  async markSent(head: OutboundHead, peer: string, note?: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query("UPDATE hl7_messages SET status = 'sent' WHERE id = ?", [head.id]);
      await this.log(
        tx,
        head.id,
        'info',
        'send',
        `sent to ${peer} (attempt ${head.attempts + 1})${note ? `: ${note}` : ''}`,
      );
    });
  }

  async delivered(head: OutboundHead, result: SendResult): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE hl7_messages SET status = 'acknowledged', ack_code = ?, ack_message = ?, error_message = NULL, processed_at = ${NOW} WHERE id = ?`,
        [result.ackCode, result.ack ?? null, head.id],
      );
      if (head.queueId)
        await tx.query(
          `UPDATE message_queue SET status = 'completed', attempts = attempts + 1, last_error = NULL, completed_at = ${NOW} WHERE id = ?`,
          [head.queueId],
        );
      await this.log(tx, head.id, 'info', 'ack', `${result.ackCode} after ${head.attempts + 1} attempt(s)`, {
        ack: result.ack,
      });
    });
  }

  async failed(
    head: OutboundHead,
    endpointId: string,
    result: SendResult,
    policy: RetryPolicy,
  ): Promise<{ attempts: number; dead: boolean }> {
    return await this.db.transaction(async (tx) => {
      const attempts = head.attempts + 1;
      const dead = attempts >= policy.maxAttempts;
      const reason = result.error ?? `${result.ackCode || 'no MSA-1'}: ${result.ack ? ackText(result.ack) : ''}`.trim();
      const delaySeconds = dead ? 0 : policy.backoffMs(attempts) / 1000;
      const code = result.ackCode && ACK_CODES.has(result.ackCode) ? result.ackCode : null;
      await tx.query(
        `UPDATE hl7_messages SET status = ?, ack_code = COALESCE(?::text, ack_code), ack_message = COALESCE(?::text, ack_message),
           error_message = ?, processed_at = CASE WHEN ?::boolean THEN ${NOW} END WHERE id = ?`,
        [dead ? 'error' : 'queued', code, result.ack ?? null, reason.slice(0, 60_000), dead, head.id],
      );
      const status = dead ? 'dead_letter' : 'pending';
      if (head.queueId)
        await tx.query(
          `UPDATE message_queue SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ${NOW} + make_interval(secs => ?::float8) WHERE id = ?`,
          [status, attempts, reason, delaySeconds, head.queueId],
        );
      else
        await tx.query(
          `INSERT INTO message_queue (id, message_id, interface_config_id, direction, status, attempts, max_attempts, next_attempt_at, last_error)
           VALUES (?, ?, ?, 'outbound', ?, ?, ?, ${NOW} + make_interval(secs => ?::float8), ?)`,
          [randomUUID(), head.id, endpointId, status, attempts, Math.max(1, policy.maxAttempts), delaySeconds, reason],
        );
      const next = dead ? 'dead letter: attempts exhausted' : `next attempt in ${Math.round(delaySeconds * 1000)} ms`;
      await this.log(
        tx,
        head.id,
        dead ? 'error' : 'warning',
        'retry',
        `attempt ${attempts} failed (${reason}); ${next}`,
      );
      return { attempts, dead };
    });
  }

  async retryDeadLetter(messageId: string): Promise<boolean> {
    return await this.db.transaction(async (tx) => {
      const { affectedRows } = await tx.query(
        `UPDATE message_queue SET status = 'pending', attempts = 0, next_attempt_at = ${NOW} WHERE message_id = ? AND direction = 'outbound' AND status = 'dead_letter'`,
        [messageId],
      );
      if (affectedRows === 0) return false;
      await tx.query("UPDATE hl7_messages SET status = 'queued', processed_at = NULL WHERE id = ?", [messageId]);
      await this.log(tx, messageId, 'info', 'retry', 'dead letter put back in line');
      return true;
    });
  }

  async discardDeadLetter(messageId: string): Promise<boolean> {
    return await this.db.transaction(async (tx) => {
      const { affectedRows } = await tx.query(
        `UPDATE message_queue SET status = 'failed', completed_at = ${NOW} WHERE message_id = ? AND direction = 'outbound' AND status = 'dead_letter'`,
        [messageId],
      );
      if (affectedRows === 0) return false;
      await this.log(tx, messageId, 'warning', 'retry', 'dead letter discarded; later messages of the patient go on');
      return true;
    });
  }

  async counts(): Promise<EndpointCounts[]> {
    const { rows } = await this.db.query<{ endpoint_id: string; pending: string; retrying: string; dead: string }>(
      `SELECT endpoint_id, SUM(pending) AS pending, SUM(retrying) AS retrying, SUM(dead) AS dead FROM (
         SELECT interface_config_id AS endpoint_id, COUNT(*) AS pending, 0 AS retrying, 0 AS dead FROM hl7_messages
          WHERE status IN ('queued', 'sent') AND direction = 'outbound' GROUP BY interface_config_id
         UNION ALL
         SELECT interface_config_id, 0, COUNT(*) FILTER (WHERE status = 'pending'), COUNT(*) FILTER (WHERE status = 'dead_letter')
          FROM message_queue WHERE direction = 'outbound' AND status IN ('pending', 'dead_letter') GROUP BY interface_config_id
       ) c GROUP BY endpoint_id`,
    );
    return rows.map((r) => ({
      endpointId: r.endpoint_id,
      pending: Number(r.pending),
      retrying: Number(r.retrying),
      dead: Number(r.dead),
    }));
  }

  private async log(
    e: { query(sql: string, params?: unknown[]): Promise<unknown> },
    id: string,
    level: LogLevel,
    stage: LogStage,
    message: string,
    details?: unknown,
  ): Promise<void> {
    await e.query(
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
}

/** MSA-3 / ERR text of an ACK, for the error column. */
function ackText(ack: string): string {
  try {
    const m = parseMessage(ack);
    return m.get('MSA-3') || m.get('ERR-8') || '';
  } catch {
    return '';
  }
}
