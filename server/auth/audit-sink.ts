/**
 * Writes audit events, group-committed (audit-group-commit.ts): each batch is one multi-row INSERT into
 * auth_audit_logs (nilecare_auth: MySQL, or embedded) and one into the compact AuditEvent rows of the FHIR store
 * (audit-table.ts) when the store is PostgreSQL/PGlite — both in ONE statement when nilecare_auth is embedded there
 * (one round trip, one commit per batch). On another store (MongoDB) each event is written as an AuditEvent resource
 * through the callback the composition root wires to the FHIR store, as before.
 * A record waits at most `windowMs` before its batch starts; `flush()` (graceful shutdown) writes what is queued.
 * A failing audit write is reported, never turned into a crash.
 */
import type { AuditEvent } from '@medplum/fhirtypes';
import { isForeignKeyViolation, sqlOf, type StateDb, type StateExecutor } from '../state/state-db.js';
import { toAuditEvent, toAuditLogRow, type AccessAuditEvent, type AuditLogRow } from './audit-event.js';
import { toAuditRow, type AuditRow } from './audit-rows.js';
import type { AuditTable } from './audit-table.js';
import { groupCommit } from './audit-group-commit.js';
import { auditLogId } from './audit-log-id.js';

export interface AuditSink {
  /** Queues the event; resolves once it is committed (at most about `windowMs` plus one write later). */
  audit(e: AccessAuditEvent): Promise<void>;
  /** Writes everything queued and waits for it. */
  flush(): Promise<void>;
}

/** Default group-commit window: what a kill -9 can lose on top of the write in flight (bench/README.md). */
export const AUDIT_WINDOW_MS = 10;
const MAX_BATCH = 512;
/** Statement sizes a batch is cut into: a handful of distinct statements (MySQL prepares each text once). */
const CHUNKS = [256, 64, 16, 4, 1];

export function auditSink(o: {
  db: StateDb;
  /** The compact AuditEvent rows (PostgreSQL/PGlite store). */
  trail?: AuditTable;
  /** Without `trail`: stores one AuditEvent resource per event. */
  onAuditEvent?: (e: AuditEvent) => Promise<void>;
  /** nilecare_auth is embedded in the same PostgreSQL as `trail` (no AUTH_MYSQL_URL): one transaction for both. */
  trailInStateDb?: boolean;
  onError: (m: string, e: unknown) => void;
  windowMs?: number;
}): AuditSink {
  const windowMs = o.windowMs ?? AUDIT_WINDOW_MS;
  const trail = o.trail;
  // nilecare_auth embedded in the store's database: both rows of a batch in one statement, one commit
  const together = trail && o.trailInStateDb && o.db.dialect === 'postgres';
  const logs = groupCommit<AuditLogRow>({
    windowMs,
    maxBatch: MAX_BATCH,
    write: (rows) => insertLogRows(o.db, rows, o.onError),
    onError: o.onError,
  });
  const both = together
    ? groupCommit<[AuditLogRow, AuditRow]>({
        windowMs,
        maxBatch: MAX_BATCH,
        write: async (pairs) => {
          const rows = pairs.map((p) => p[1]);
          const logRows = pairs.map((p) => p[0]);
          try {
            await trail.appendWithLogs(rows, logRows); // one statement, one commit
          } catch (err) {
            if (!isForeignKeyViolation(err)) throw err;
            await trail.append(rows); // an unknown user id: the trail first, then the log rows one by one
            await insertLogRows(o.db, logRows, o.onError);
          }
        },
        onError: o.onError,
      })
    : undefined;
  const events =
    trail && !together
      ? groupCommit<AuditRow>({
          windowMs,
          maxBatch: MAX_BATCH,
          write: (rows) => trail.append(rows),
          onError: o.onError,
        })
      : undefined;
  const pending = new Set<Promise<void>>();
  return {
    async audit(e) {
      const event = { ...e, at: e.at ?? new Date() };
      if (both) return both.add([toAuditLogRow(event), toAuditRow(event)]);
      const written: Array<Promise<void>> = [logs.add(toAuditLogRow(event))];
      if (events) written.push(events.add(toAuditRow(event)));
      else if (o.onAuditEvent) {
        const p = o
          .onAuditEvent(toAuditEvent(event))
          .catch((err: unknown) => o.onError('auth: AuditEvent not stored', err))
          .finally(() => pending.delete(p));
        pending.add(p);
        written.push(p);
      }
      await Promise.all(written);
    },
    async flush() {
      await Promise.all([logs.flush(), both?.flush(), events?.flush(), Promise.allSettled([...pending])]);
    },
  };
}

/** One transaction of multi-row INSERTs; when a user id is unknown (FK), the rows go one by one, that one unlinked. */
async function insertLogRows(db: StateDb, rows: AuditLogRow[], onError: (m: string, e: unknown) => void) {
  try {
    await db.transaction(async (tx) => {
      for (let at = 0; at < rows.length;) {
        const size = CHUNKS.find((n) => n <= rows.length - at) ?? 1;
        await insertChunk(tx, db.dialect, rows.slice(at, at + size));
        at += size;
      }
    });
  } catch (err) {
    if (!isForeignKeyViolation(err)) throw err;
    for (const row of rows) {
      await insertChunk(db, db.dialect, [row]).catch(async (e: unknown) => {
        if (!isForeignKeyViolation(e) || !row.userId) {
          onError('auth: audit row not written', e);
          return;
        }
        // A user id that is not (or no longer) in auth_users: keep the row, without the link.
        const unlinked = { ...row, userId: null, metadata: { ...row.metadata, user_id: row.userId } };
        await insertChunk(db, db.dialect, [unlinked]).catch((e2: unknown) =>
          onError('auth: audit row not written', e2),
        );
      });
    }
  }
}

async function insertChunk(tx: StateExecutor, dialect: StateDb['dialect'], rows: readonly AuditLogRow[]) {
  const sql = sqlOf(dialect);
  const values = rows.map(() => `(?, ?, ?, ?, ?, ?, ?, ${sql.now})`).join(', ');
  await tx.query(
    `INSERT INTO auth_audit_logs (id, user_id, action, resource, result, ip_address, metadata, ${sql.quote('timestamp')}) VALUES ${values}`,
    rows.flatMap((r) => [
      auditLogId(),
      r.userId,
      r.action,
      r.resource,
      r.result,
      r.ipAddress,
      JSON.stringify(r.metadata),
    ]),
  );
}
