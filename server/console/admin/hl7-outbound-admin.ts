/**
 * HL7 v2 outbound delivery (server/hl7-wiring.ts `outbound`, when it runs) shown as one more outbox on the
 * console's projections page, named `hl7-outbound`: lag = messages not yet acknowledged (queued, sent, backing
 * off) and the age of the oldest; dead letters = outbound messages whose attempts are exhausted (id = the
 * hl7_messages id, resource = the FHIR change it came from); retry puts one back in line (delivery follows).
 */
import mysql from 'mysql2/promise';
import { notFound } from '../../fhir/errors.js';
import type { DeadLetter, ProjectionStatus } from '../admin-api.js';
import { isoFromSql, type InteropQuery } from './hl7-message-rows.js';

export const HL7_OUTBOUND = 'hl7-outbound';

/** The part of hl7-wiring's Hl7Outbound the console uses. */
export interface Hl7OutboundControl {
  status(): Promise<{ pending: number; retrying: number; dead: number; lastError?: string }>;
  retryDeadLetter(messageId: string): Promise<boolean>;
}

type Row = mysql.RowDataPacket & Record<string, any>;

/** `source`: nilecare_interop on MySQL (its URL), or a query on the embedded one (server/hl7-wiring.ts). */
export function hl7OutboundAdmin(source: string | InteropQuery, outbound: Hl7OutboundControl) {
  const pool =
    typeof source === 'string' ? mysql.createPool({ uri: source, connectionLimit: 2, dateStrings: true }) : undefined;
  const query = async (sql: string, params: unknown[] = []): Promise<Row[]> =>
    pool ? (await pool.query<Row[]>(sql, params))[0] : ((await (source as InteropQuery)(sql, params)) as Row[]);
  return {
    async status(): Promise<ProjectionStatus> {
      const s = await outbound.status();
      const [oldest] = await query(
        "SELECT MIN(received_at) AS at FROM hl7_messages WHERE direction = 'outbound' AND status IN ('queued', 'sent')",
      );
      const at = isoFromSql(oldest?.at);
      return {
        name: HL7_OUTBOUND,
        lagSeq: s.pending + s.retrying,
        lagSeconds: at ? Math.max(0, Math.round((Date.now() - Date.parse(at)) / 100) / 10) : 0,
        deadLetters: s.dead,
        ...(s.lastError ? { lastError: s.lastError } : {}),
      };
    },
    async deadLetters(): Promise<DeadLetter[]> {
      const rows = await query(
        `SELECT m.id, m.message_type, m.trigger_event, m.control_id, m.source_resource, m.source_version, q.attempts, q.last_error, q.updated_at
           FROM message_queue q JOIN hl7_messages m ON m.id = q.message_id
          WHERE q.direction = 'outbound' AND q.status = 'dead_letter' ORDER BY m.source_seq, m.source_part`,
      );
      return rows.map((r) => ({
        id: r.id,
        resource: r.source_resource ?? `${r.message_type}^${r.trigger_event ?? ''} ${r.control_id ?? ''}`.trim(),
        version: Number(r.source_version ?? 0),
        error: r.last_error ?? '',
        attempts: Number(r.attempts),
        lastAttempt: isoFromSql(r.updated_at)!,
        nextAttemptAt: null,
        hl7Message: r.id,
      }));
    },
    async retry(id: string): Promise<{ delivered: boolean; requeued: boolean }> {
      if (!(await outbound.retryDeadLetter(id))) throw notFound(`Dead letter ${id} of ${HL7_OUTBOUND} not found`);
      return { delivered: false, requeued: true };
    },
    close: async () => await pool?.end(),
  };
}
