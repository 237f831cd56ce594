/**
 * By default (NILECARE_PGLITE_THREAD=worker) the embedded store runs PGlite in a worker thread (pglite-thread.ts): the server's own thread goes on
 * (timers, other requests' JavaScript) while a long statement runs, and nothing of the SQL surface changes —
 * driver errors keep their SQLSTATE (a version conflict is still a VersionConflictError), a failed transaction is
 * rolled back whole, rows keep their types.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { openPgliteClient, openPgliteStore, pgliteThread } from './open-postgres-store.js';
import { VersionConflictError } from '../resource-store.js';

const folders: string[] = [];
async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nilecare-pglite-thread-'));
  folders.push(dir);
  return dir;
}

/** NILECARE_TEST_PGLITE_THREAD=main runs these on this thread: the test that fails there shows what the worker is for. */
const THREAD = process.env['NILECARE_TEST_PGLITE_THREAD'] === 'main' ? 'main' : 'worker';

/** Timer ticks of this thread while `work` runs. */
async function ticksDuring(work: Promise<unknown>): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  try {
    await work;
  } finally {
    clearInterval(timer);
  }
  return ticks;
}

/** A statement that keeps PostgreSQL busy for a while (no sleep: computing). */
const LONG = `SELECT count(*) FROM generate_series(1, 1000000) g WHERE md5(g::text) LIKE '0%'`;

describe('PGlite in a worker thread (the default; NILECARE_PGLITE_THREAD=main otherwise)', () => {
  after(async () => {
    for (const dir of folders) await rm(dir, { recursive: true, force: true });
  });

  it('is the default, and NILECARE_PGLITE_THREAD=main keeps PGlite in this thread', () => {
    assert.equal(pgliteThread({ NILECARE_PGLITE_THREAD: 'worker' }), 'worker');
    assert.equal(pgliteThread({ NILECARE_PGLITE_THREAD: 'main' }), 'main');
    assert.equal(pgliteThread({}), 'worker', 'the default');
  });

  it("leaves this thread free while a long statement runs (it was blocked for the statement's whole length)", async () => {
    const client = await openPgliteClient(await folder(), THREAD);
    try {
      const started = performance.now();
      const ticks = await ticksDuring(client.query({ text: LONG }));
      const ms = performance.now() - started;
      // a blocked thread ticks once at most (when the statement ends); a free one about every 10 ms
      assert.ok(ms < 100 || ticks >= 3, `${ticks} ticks in ${Math.round(ms)} ms`);
      assert.ok(ms >= 100, `the statement took ${Math.round(ms)} ms: too short to show anything`);
      assert.match(client.description, /worker thread/);
    } finally {
      await client.close();
    }
  });

  it('keeps SQLSTATEs, rolls a failed transaction back whole, and keeps row types', async () => {
    const dataDir = await folder();
    const store = await openPgliteStore({ dataDir, thread: THREAD });
    try {
      await store.init();
      const lastUpdated = new Date().toISOString();
      const patient = (versionId: number) => ({
        resourceType: 'Patient',
        id: 'p1',
        versionId,
        lastUpdated,
        resource: {
          resourceType: 'Patient',
          id: 'p1',
          meta: { versionId: String(versionId), lastUpdated },
        } as Resource,
        index: { entries: [], compartments: [] },
      });
      await store.write([patient(1)]);
      await assert.rejects(store.write([patient(1)]), VersionConflictError); // FH409 raised in the worker
      const read = await store.read('Patient', 'p1');
      assert.equal(read?.versionId, 1);
      assert.equal(read?.resource?.resourceType, 'Patient');
    } finally {
      await store.close();
    }
    const client = await openPgliteClient(dataDir, THREAD);
    try {
      await client.exec('CREATE TABLE t (n int, at timestamptz, big bigint, body jsonb)');
      await assert.rejects(
        client.transaction(async (tx) => {
          await tx.query({ text: 'INSERT INTO t VALUES (1, now(), 1, $1)', values: ['{"a":1}'] });
          await tx.query({ text: 'INSERT INTO t VALUES (2, now(), 2, $1)', values: ['not json'] });
        }),
        (error: Error & { code?: string }) => error.code === '22P02', // invalid_text_representation, from PGlite
      );
      await assert.rejects(
        client.transaction(async (tx) => {
          await tx.query({ text: 'INSERT INTO t VALUES (3, now(), 3, $1)', values: ['{"a":3}'] });
          throw new Error('the caller gives up');
        }),
        /the caller gives up/,
      );
      assert.deepEqual((await client.query({ text: 'SELECT count(*)::int AS c FROM t' })).rows, [{ c: 0 }]);
      await client.transaction(async (tx) => {
        await tx.query({ text: `INSERT INTO t VALUES (4, '2026-12-07T10:00:00Z', 9007199254740993, '{"a":[4]}')` });
      });
      const { rows } = await client.query<{ n: number; at: Date; big: unknown; body: unknown }>({
        text: 'SELECT n, at, big, body FROM t',
      });
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.n, 4);
      assert.ok(rows[0]!.at instanceof Date, 'timestamptz arrives as a Date');
      assert.equal(rows[0]!.at.toISOString(), '2026-12-07T10:00:00.000Z');
      assert.equal(String(rows[0]!.big), '9007199254740993');
      assert.deepEqual(rows[0]!.body, { a: [4] });
    } finally {
      await client.close();
    }
  });
});
