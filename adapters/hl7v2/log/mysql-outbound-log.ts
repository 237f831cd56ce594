/**
 * The outbound message log on MySQL/MariaDB (nilecare_interop, V2__Outbound_delivery.sql). A planned batch is
 * recorded in one transaction with the change-feed cursor (hl7_outbound_state, moved by server/change-feed) (at least
 * once: a crash re-plans the batch, and the unique key
 * (interface_config_id, source_resource, source_version, source_part) keeps a change from being recorded twice).
 * The heads query returns, per ordering key, the first message that is not done, if it is due: a later message of
 * the same patient is never returned while an earlier one is unacknowledged, retrying or dead-lettered.
 */
import { createHash, randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { FeedDb, FeedTx } from '../../../server/change-feed/feed-state.js';
import { parseMessage } from '../parser/parse-message.js';
import type { LogLevel, LogStage } from './message-log.js';
import type { EndpointCounts, OutboundHead, OutboundRecord, RetryPolicy, SendResult } from './outbound-log.js';

const ACK_CODES = new Set(['AA', 'AE', 'AR', 'CA', 'CE', 'CR']);
/** Queue states that hold back the later messages of the same ordering key. */
const HOLDING = "('pending', 'processing', 'dead_letter')";

type Queryable = mysql.Pool | mysql.PoolConnection;
/** Runs a statement (a mysql2 connection, or the change feed's transaction over one). */
type Exec = { query(sql: string, params?: unknown[]): Promise<unknown> };

export class MysqlOutboundLog {
  private constructor(private readonly pool: mysql.Pool) {}

  static open(url: string, connectionLimit = 4): MysqlOutboundLog {
    return new MysqlOutboundLog(
      mysql.createPool({
        uri: url,
        connectionLimit,
        dateStrings: true,
        supportBigNumbers: true,
        bigNumberStrings: true,
      }),
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * The log's database for the change-feed consumer (server/change-feed): the planner's cursor row
   * (hl7_outbound_state) is locked and moved in the same transaction that records the planned messages.
   */
  feedDb(): FeedDb {
    const asTx = (c: Queryable): FeedTx => ({
      dialect: 'mysql',
      query: async <T>(sql: string, params: unknown[] = []) => {
        const [rows] = await c.query(sql, params);
        return (Array.isArray(rows) ? rows : []) as T[];
      },
    });
    return { ...asTx(this.pool), transaction: (fn) => this.tx((c) => fn(asTx(c))) };
  }

  /**
   * Records planned messages inside the planner's transaction; returns how many are new (at least once: a crash
   * re-plans the batch, and the unique key keeps a change from being recorded twice).
   */
  async recordPlanned(tx: FeedTx, records: readonly OutboundRecord[]): Promise<number> {
    let inserted = 0;
    for (const r of records) if (await this.insert(tx, r)) inserted++;
    return inserted;
  }

  private async insert(c: Exec, r: OutboundRecord): Promise<boolean> {
    const m = parseMessage(r.text);
    const type = m.messageType;
    const id = randomUUID();
    try {
      await c.query(
        `INSERT INTO hl7_messages (id, direction, interface_config_id, message_type, trigger_event, message_structure, control_id, sending_application,
           sending_facility, receiving_application, receiving_facility, hl7_version, processing_id, patient_identifier, raw_message, message_hash, status,
           source_resource, source_version, source_seq, source_part, ordering_key)
         VALUES (?, 'outbound', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)`,
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
    } catch (err) {
      // Already recorded (the batch is re-planned after a crash or a rewound cursor): a statement error only.
      if ((err as { code?: string }).code === 'ER_DUP_ENTRY') return false;
      throw err;
    }
    await this.log(c, id, 'info', 'map', `planned from ${r.sourceResource}/_history/${r.sourceVersion}`, {
      seq: r.sourceSeq,
      orderingKey: r.orderingKey,
    });
    return true;
  }

  /** Per ordering key of the endpoint, its first unfinished message when it is due (not dead, not backing off). */
  async heads(endpointId: string, limit = 100): Promise<OutboundHead[]> {
    const [rows] = await this.pool.query<mysql.RowDataPacket[]>(
      `SELECT t.id, t.ordering_key, msg.raw_message, msg.control_id, t.queue_id, t.attempts FROM (
         SELECT b.id, b.ordering_key, b.source_seq, q.id AS queue_id, q.status AS queue_status,
                COALESCE(q.attempts, 0) AS attempts, q.next_attempt_at <= CURRENT_TIMESTAMP(3) AS due,
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
       ORDER BY t.source_seq LIMIT ?`,
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
    await this.tx(async (c) => {
      await c.query("UPDATE hl7_messages SET status = 'sent' WHERE id = ?", [head.id]);
      await this.log(
        c,
        head.id,
        'info',
        'send',
        `sent to ${peer} (attempt ${head.attempts + 1})${note ? `: ${note}` : ''}`,
      );
    });
  }

  /** The peer accepted the message (AA/CA). */
  async delivered(head: OutboundHead, result: SendResult): Promise<void> {
    await this.tx(async (c) => {
      await c.query(
        "UPDATE hl7_messages SET status = 'acknowledged', ack_code = ?, ack_message = ?, error_message = NULL, processed_at = CURRENT_TIMESTAMP(3) WHERE id = ?",
        [result.ackCode, result.ack ?? null, head.id],
      );
      if (head.queueId) {
        await c.query(
          "UPDATE message_queue SET status = 'completed', attempts = attempts + 1, last_error = NULL, completed_at = CURRENT_TIMESTAMP(3) WHERE id = ?",
          [head.queueId],
        );
      }
      await this.log(c, head.id, 'info', 'ack', `${result.ackCode} after ${head.attempts + 1} attempt(s)`, {
        ack: result.ack,
      });
    });
  }

  /** A failed attempt (AE/AR/CE/CR, timeout, connection error): back off in message_queue, or dead-letter. */
  async failed(
    head: OutboundHead,
    endpointId: string,
    result: SendResult,
    policy: RetryPolicy,
  ): Promise<{ attempts: number; dead: boolean }> {
    return await this.tx(async (c) => {
      const attempts = head.attempts + 1;
      const dead = attempts >= policy.maxAttempts;
      const reason = result.error ?? `${result.ackCode || 'no MSA-1'}: ${result.ack ? ackText(result.ack) : ''}`.trim();
      const delayUs = dead ? 0 : Math.round(policy.backoffMs(attempts) * 1000);
      const code = result.ackCode && ACK_CODES.has(result.ackCode) ? result.ackCode : null;
      await c.query(
        'UPDATE hl7_messages SET status = ?, ack_code = COALESCE(?, ack_code), ack_message = COALESCE(?, ack_message), error_message = ?, processed_at = IF(?, CURRENT_TIMESTAMP(3), NULL) WHERE id = ?',
        [dead ? 'error' : 'queued', code, result.ack ?? null, reason.slice(0, 60_000), dead, head.id],
      );
      const status = dead ? 'dead_letter' : 'pending';
      if (head.queueId) {
        await c.query(
          'UPDATE message_queue SET status = ?, attempts = ?, last_error = ?, next_attempt_at = CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND WHERE id = ?',
          [status, attempts, reason, delayUs, head.queueId],
        );
      } else {
        await c.query(
          `INSERT INTO message_queue (id, message_id, interface_config_id, direction, status, attempts, max_attempts, next_attempt_at, last_error)
           VALUES (?, ?, ?, 'outbound', ?, ?, ?, CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND, ?)`,
          [randomUUID(), head.id, endpointId, status, attempts, Math.max(1, policy.maxAttempts), delayUs, reason],
        );
      }
      const next = dead ? 'dead letter: attempts exhausted' : `next attempt in ${Math.round(delayUs / 1000)} ms`;
      await this.log(
        c,
        head.id,
        dead ? 'error' : 'warning',
        'retry',
        `attempt ${attempts} failed (${reason}); ${next}`,
      );
      return { attempts, dead };
    });
  }

  /** Puts a dead letter back in line (attempts start again); false when the message is not a dead letter. */
  async retryDeadLetter(messageId: string): Promise<boolean> {
    return await this.tx(async (c) => {
      const [res] = await c.query<mysql.ResultSetHeader>(
        "UPDATE message_queue SET status = 'pending', attempts = 0, next_attempt_at = CURRENT_TIMESTAMP(3) WHERE message_id = ? AND direction = 'outbound' AND status = 'dead_letter'",
        [messageId],
      );
      if (res.affectedRows === 0) return false;
      await c.query("UPDATE hl7_messages SET status = 'queued', processed_at = NULL WHERE id = ?", [messageId]);
      await this.log(c, messageId, 'info', 'retry', 'dead letter put back in line');
      return true;
    });
  }

  /** Gives up on a dead letter for good: it stays in error and no longer holds back its patient's later messages. */
  async discardDeadLetter(messageId: string): Promise<boolean> {
    return await this.tx(async (c) => {
      const [res] = await c.query<mysql.ResultSetHeader>(
        "UPDATE message_queue SET status = 'failed', completed_at = CURRENT_TIMESTAMP(3) WHERE message_id = ? AND direction = 'outbound' AND status = 'dead_letter'",
        [messageId],
      );
      if (res.affectedRows === 0) return false;
      await this.log(c, messageId, 'warning', 'retry', 'dead letter discarded; later messages of the patient go on');
      return true;
    });
  }

  /** Pending, retrying and dead-lettered outbound messages per endpoint. */
  async counts(): Promise<EndpointCounts[]> {
    const [rows] = await this.pool.query<mysql.RowDataPacket[]>(
      `SELECT endpoint_id, SUM(pending) AS pending, SUM(retrying) AS retrying, SUM(dead) AS dead FROM (
         SELECT interface_config_id AS endpoint_id, COUNT(*) AS pending, 0 AS retrying, 0 AS dead FROM hl7_messages
          WHERE status IN ('queued', 'sent') AND direction = 'outbound' GROUP BY interface_config_id
         UNION ALL
         SELECT interface_config_id, 0, SUM(status = 'pending'), SUM(status = 'dead_letter') FROM message_queue
          WHERE direction = 'outbound' AND status IN ('pending', 'dead_letter') GROUP BY interface_config_id
       ) c GROUP BY endpoint_id`,
    );
    return rows.map((r) => ({
      endpointId: r.endpoint_id,
      pending: Number(r.pending),
      retrying: Number(r.retrying),
      dead: Number(r.dead),
    }));
  }

  /** Statements that belong together commit together (and cost one log flush). */
  private async tx<T>(fn: (c: mysql.PoolConnection) => Promise<T>): Promise<T> {
    const c = await this.pool.getConnection();
    try {
      await c.beginTransaction();
      const result = await fn(c);
      await c.commit();
      return result;
    } catch (e) {
      await c.rollback().catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  private async log(
    c: Exec,
    id: string,
    level: LogLevel,
    stage: LogStage,
    message: string,
    details?: unknown,
  ): Promise<void> {
    await c.query(
      'INSERT INTO hl7_message_logs (id, message_id, level, stage, message, details) VALUES (?, ?, ?, ?, ?, ?)',
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
