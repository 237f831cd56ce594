/**
 * Writes audit events: an auth_audit_logs row, and an AuditEvent resource through the callback the
 * composition root wires to the FHIR store. A failing audit write is reported, never turned into a crash.
 */
import { randomUUID } from 'node:crypto';
import { isForeignKeyViolation, sqlOf, type StateDb } from '../state/state-db.js';
import type { AuditEvent } from '@medplum/fhirtypes';
import { toAuditEvent, toAuditLogRow, type AccessAuditEvent } from './audit-event.js';

export interface AuditSink {
  audit(e: AccessAuditEvent): Promise<void>;
  /** Waits for the writes still in flight. */
  flush(): Promise<void>;
}

export function auditSink(o: {
  db: StateDb;
  onAuditEvent?: (e: AuditEvent) => Promise<void>;
  onError: (m: string, e: unknown) => void;
}): AuditSink {
  const pending = new Set<Promise<void>>();
  const insert = async (userId: string | null, row: ReturnType<typeof toAuditLogRow>) => {
    const sql = sqlOf(o.db.dialect);
    await o.db.query(
      `INSERT INTO auth_audit_logs (id, user_id, action, resource, result, ip_address, metadata, ${sql.quote('timestamp')}) VALUES (?, ?, ?, ?, ?, ?, ?, ${sql.now})`,
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
      if (isForeignKeyViolation(err) && row.userId) {
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
