/**
 * Writes audit events: an auth_audit_logs row, and an AuditEvent resource through the callback the
 * composition root wires to the FHIR store. A failing audit write is reported, never turned into a crash.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'mysql2/promise';
import type { AuditEvent } from '@medplum/fhirtypes';
import { toAuditEvent, toAuditLogRow, type AccessAuditEvent } from './audit-event.js';

export interface AuditSink {
  audit(e: AccessAuditEvent): Promise<void>;
  /** Waits for the writes still in flight. */
  flush(): Promise<void>;
}

const NO_REFERENCED_ROW = 1452;

export function auditSink(o: {
  pool: Pool;
  onAuditEvent?: (e: AuditEvent) => Promise<void>;
  onError: (m: string, e: unknown) => void;
}): AuditSink {
  const pending = new Set<Promise<void>>();
  const insert = async (userId: string | null, row: ReturnType<typeof toAuditLogRow>) => {
    await o.pool.execute(
      'INSERT INTO auth_audit_logs (id, user_id, action, resource, result, ip_address, metadata, `timestamp`) VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP())',
      [randomUUID(), userId, row.action, row.resource, row.result, row.ipAddress, JSON.stringify(row.metadata)],
    );
  };
  const write = async (e: AccessAuditEvent) => {
    const event = { ...e, at: e.at ?? new Date() };
    const row = toAuditLogRow(event);
    try {
      await insert(row.userId, row);
    } catch (err) {
      // A user id that is not (or no longer) in auth_users: keep the row, without the link.
      if ((err as { errno?: number }).errno === NO_REFERENCED_ROW && row.userId) {
        await insert(null, { ...row, metadata: { ...row.metadata, user_id: row.userId } }).catch((e2: unknown) =>
          o.onError('auth: audit row not written', e2),
        );
      } else o.onError('auth: audit row not written', err);
    }
    if (o.onAuditEvent) {
      await o.onAuditEvent(toAuditEvent(event)).catch((err: unknown) => o.onError('auth: AuditEvent not stored', err));
    }
  };
  return {
    audit(e) {
      const p = write(e).finally(() => pending.delete(p));
      pending.add(p);
      return p;
    },
    async flush() {
      await Promise.allSettled([...pending]);
    },
  };
}
