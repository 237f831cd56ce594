/**
 * Issue 20 item 1: with nilecare_auth embedded in the store's PostgreSQL, a group-committed batch of audit records
 * is ONE statement (both tables, one commit), and nothing of a record is lost on the way: every record is an
 * AuditEvent row whose JSON reads back as written (quotes, backslashes, Arabic, a search query) and an
 * auth_audit_logs row with its metadata; a record naming a user id that nilecare_auth does not know keeps both rows
 * (the log row unlinked, the id kept in its metadata).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { loadConfig } from '../config.js';
import { openServerState, type ServerState } from '../state/open-state.js';
import { pgliteTestStore, postgresTestStore } from '../store/postgres/testing/test-stores.js';
import { sqlClientOf } from '../store/postgres/open-postgres-store.js';
import type { SqlClient } from '../store/postgres/sql-client.js';
import type { ResourceStore } from '../store/resource-store.js';
import { openAuditTable, type AuditTable } from './audit-table.js';
import { auditSink } from './audit-sink.js';
import { toAuditEvent, type AccessAuditEvent } from './audit-event.js';
import type { StateDb } from '../state/state-db.js';

const policy = {
  who: 'Practitioner/pr-1 via client:app-1',
  fhirUser: 'Practitioner/pr-1',
  clientId: 'app-1',
  allows: () => true,
  constraints: () => undefined,
};

function event(i: number, extra: Partial<AccessAuditEvent> = {}): AccessAuditEvent {
  return {
    action: i % 3 === 0 ? 'search' : 'read',
    outcome: i % 7 === 0 ? 'denied' : 'success',
    policy,
    resourceType: 'Patient',
    ...(i % 3 === 0 ? { query: `name=${encodeURIComponent('محمد "الأمين" \\ ')}${i}` } : { resourceId: `p-${i}` }),
    status: i % 7 === 0 ? 403 : 200,
    ip: '127.0.0.1',
    detail: `said "no" \\ to ${i} — رفض`,
    at: new Date(Date.UTC(2026, 11, 6, 12, 0, 0, i)),
    ...extra,
  };
}

for (const [kind, factory] of [
  ['PostgreSQL', postgresTestStore],
  ['PGlite', pgliteTestStore],
] as const)
  describe(`audit sink with nilecare_auth embedded in ${kind} (issue 20 item 1)`, () => {
    let store: ResourceStore;
    let dispose: () => Promise<void>;
    let state: ServerState;
    let client: SqlClient;
    let authDb: StateDb;
    let trail: AuditTable;
    let statements = 0;

    before(async () => {
      ({ store, dispose } = await factory());
      const config = loadConfig({ NILECARE_AUTH: 'smart', LOG_LEVEL: 'silent' });
      state = openServerState(config, store, pino({ level: 'silent' }));
      authDb = await state.authDb();
      const own = sqlClientOf(store)!;
      // the audit table's client, counting the statements it is sent
      client = {
        ...own,
        query: (statement) => {
          statements++;
          return own.query(statement);
        },
      };
      trail = await openAuditTable(client);
    });
    after(async () => {
      await state?.close();
      await dispose?.();
    });

    const count = async (sql: string) =>
      Number((await sqlClientOf(store)!.query<{ n: number }>({ text: sql })).rows[0]?.n);

    it('writes a batch of 120 concurrent records as one statement; each reads back as written, in both tables', async () => {
      const errors: unknown[] = [];
      const sink = auditSink({
        db: authDb,
        trail,
        trailInStateDb: true,
        onError: (_m, e) => errors.push(e),
        windowMs: 60_000, // nothing leaves before the flush: one batch
      });
      const before = await count('SELECT count(*)::int AS n FROM fhir_audit_event');
      statements = 0;
      const written = Array.from({ length: 120 }, (_, i) => sink.audit(event(i)));
      await sink.flush();
      await Promise.all(written);
      assert.deepEqual(errors, []);
      assert.equal(statements, 1, 'one statement for the batch, both tables');
      assert.equal(await count('SELECT count(*)::int AS n FROM fhir_audit_event'), before + 120);
      const { rows } = await sqlClientOf(store)!.query<{ seq: string }>({
        text: 'SELECT seq::text AS seq FROM fhir_audit_event ORDER BY seq DESC LIMIT 120',
      });
      const versions = await trail.read(rows.map((r) => r.seq));
      const byRecorded = new Map(versions.map((v) => [v.resource!['recorded' as keyof typeof v.resource], v]));
      for (let i = 0; i < 120; i++) {
        const expected = toAuditEvent(event(i));
        const found = byRecorded.get(expected.recorded as never);
        assert.ok(found, `record ${i} is in the trail`);
        const { id: _id, meta: _meta, ...content } = found.resource as unknown as Record<string, unknown>;
        assert.deepEqual(content, expected);
      }
      const logs = await authDb.query<{ n: number }>(
        `SELECT count(*) AS n FROM auth_audit_logs WHERE action IN ('fhir.read', 'fhir.search') AND metadata->>'client_id' = 'app-1'
         AND metadata->>'detail' LIKE '%"no" \\\\ to %'`,
      );
      assert.equal(Number(logs.rows[0]?.n), 120, 'every log row, metadata as written');
    });

    it('keeps both rows of every record when one names a user id nilecare_auth does not know', async () => {
      const errors: unknown[] = [];
      const sink = auditSink({
        db: authDb,
        trail,
        trailInStateDb: true,
        onError: (_m, e) => errors.push(e),
        windowMs: 60_000,
      });
      const before = await count('SELECT count(*)::int AS n FROM fhir_audit_event');
      const written = [
        sink.audit(event(1000)),
        sink.audit(event(1001, { userId: 'no-such-user' })),
        sink.audit(event(1002)),
      ];
      await sink.flush();
      await Promise.all(written);
      assert.deepEqual(errors, []);
      assert.equal(await count('SELECT count(*)::int AS n FROM fhir_audit_event'), before + 3);
      const unlinked = await authDb.query<{ user_id: string | null; n: number }>(
        `SELECT user_id, count(*) AS n FROM auth_audit_logs WHERE metadata->>'user_id' = 'no-such-user' GROUP BY user_id`,
      );
      assert.deepEqual(
        unlinked.rows.map((r) => [r.user_id, Number(r.n)]),
        [[null, 1]],
      );
      const others = await authDb.query<{ n: number }>(
        `SELECT count(*) AS n FROM auth_audit_logs WHERE metadata->>'detail' LIKE '% to 1000 %' OR metadata->>'detail' LIKE '% to 1002 %'`,
      );
      assert.equal(Number(others.rows[0]?.n), 2);
    });

    it('gives log rows time-ordered ids (UUID v7) and keeps a deleted user’s rows, unlinked (V4 indexes)', async () => {
      const errors: unknown[] = [];
      const sink = auditSink({ db: authDb, trail, trailInStateDb: true, onError: (_m, e) => errors.push(e) });
      await authDb.query(
        `INSERT INTO auth_users (id, email, username, password_hash) VALUES ('u-v4', 'v4@nilecare.sd', 'v4', 'x')`,
      );
      for (let i = 0; i < 3; i++) {
        // three batches, one after the other, each with a user's record and a backend service's
        await Promise.all([sink.audit(event(2000 + i, { userId: 'u-v4' })), sink.audit(event(2100 + i))]);
      }
      assert.deepEqual(errors, []);
      const { rows } = await authDb.query<{ id: string; user_id: string | null }>(
        `SELECT id, user_id FROM auth_audit_logs WHERE metadata->>'detail' LIKE '% to 2_0_ %' ORDER BY "timestamp", id`,
      );
      assert.equal(rows.length, 6);
      for (const r of rows) assert.match(r.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const ids = rows.map((r) => r.id);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => (a < b ? -1 : 1)),
        'later batches have larger ids',
      );
      // the foreign key's ON DELETE SET NULL finds the user's rows through the partial user index
      await authDb.query(`DELETE FROM auth_users WHERE id = 'u-v4'`);
      const left = await authDb.query<{ user_id: string | null; n: number }>(
        `SELECT user_id, count(*) AS n FROM auth_audit_logs WHERE metadata->>'detail' LIKE '% to 2_0_ %' GROUP BY user_id`,
      );
      assert.deepEqual(
        left.rows.map((r) => [r.user_id, Number(r.n)]),
        [[null, 6]],
      );
    });

    it(`commits a batch ${kind === 'PostgreSQL' ? 'without waiting for its WAL flush, that transaction only' : 'synchronously (PGlite runs inside the server process)'}`, async () => {
      const sql = sqlClientOf(store)!;
      // a statement trigger notes the commit mode of the transaction that appends audit rows
      await sql.exec(`
        CREATE TABLE audit_commit_mode (mode text);
        CREATE FUNCTION note_audit_commit_mode() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO audit_commit_mode VALUES (current_setting('synchronous_commit')); RETURN NULL; END $$;
        CREATE TRIGGER note_audit_commit_mode AFTER INSERT ON fhir_audit_event
          FOR EACH STATEMENT EXECUTE FUNCTION note_audit_commit_mode();`);
      try {
        const errors: unknown[] = [];
        const sink = auditSink({ db: authDb, trail, trailInStateDb: true, onError: (_m, e) => errors.push(e) });
        await Promise.all([sink.audit(event(3000)), sink.audit(event(3001))]);
        await trail.append([]); // nothing: no statement
        assert.deepEqual(errors, []);
        const { rows } = await sql.query<{ mode: string }>({ text: 'SELECT mode FROM audit_commit_mode' });
        assert.deepEqual(
          rows.map((r) => r.mode),
          [kind === 'PostgreSQL' ? 'off' : 'on'],
        );
        // the setting was the transaction's: the pool's connections commit synchronously as before
        const after = await Promise.all(
          [1, 2, 3].map(() => sql.query<{ s: string }>({ text: `SELECT current_setting('synchronous_commit') AS s` })),
        );
        assert.deepEqual(
          after.map((r) => r.rows[0]?.s),
          ['on', 'on', 'on'],
        );
      } finally {
        await sql.exec(
          'DROP TRIGGER note_audit_commit_mode ON fhir_audit_event; DROP FUNCTION note_audit_commit_mode(); DROP TABLE audit_commit_mode;',
        );
      }
    });
  });
