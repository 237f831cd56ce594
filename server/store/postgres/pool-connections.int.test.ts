/**
 * The PostgreSQL server store's connection pool (open-postgres-store.ts): connections left idle by a quiet spell stay
 * open for the next burst (pg's default closed them after 10 s, and every burst then paid for new PostgreSQL backends,
 * cold catalog caches and re-planned prepared statements), yet a process that never closes its store still ends.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { VersionConflictError, type ResourceStore, type VersionWrite } from '../resource-store.js';
import { openPostgresStore } from './open-postgres-store.js';
import { createTestDatabase, POSTGRES_ADMIN_URL } from './testing/test-stores.js';

async function backendsOf(url: string): Promise<number[]> {
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 ORDER BY pid',
      [new URL(url).pathname.slice(1)],
    );
    return rows.map((r) => r.pid);
  } finally {
    await admin.end();
  }
}

describe('PostgreSQL server store: pooled connections', () => {
  let database: { url: string; drop: () => Promise<void> };
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database.drop();
  });

  it('keeps its connection through SQL errors: a version conflict does not open a new backend', async () => {
    const store: ResourceStore = await openPostgresStore({ url: database.url, poolSize: 1 });
    try {
      await store.init();
      const version = (id: string): VersionWrite => ({
        resourceType: 'Patient',
        id,
        versionId: 1,
        lastUpdated: new Date().toISOString(),
        resource: { resourceType: 'Patient', id },
        index: { entries: [], compartments: [] },
      });
      await store.write([version('conflicted')]);
      const before = await backendsOf(database.url);
      assert.equal(before.length, 1, 'a pool of one');
      for (let i = 0; i < 3; i++)
        await assert.rejects(store.write([version('conflicted')]), VersionConflictError, 'version 1 again: a conflict');
      assert.ok(await store.read('Patient', 'conflicted'), 'the store still answers');
      assert.deepEqual(await backendsOf(database.url), before, 'the same backend after three conflicts');
    } finally {
      await store.close();
    }
  });

  it('stops a statement past its budget with a pool of one connection (the cancel needs no pooled connection)', async () => {
    // The cancel (pg_cancel_backend) once waited for a pooled connection while the statement's own was held until
    // the cancel was done: with PG_POOL_SIZE=1 it never ran, the connection was never given back, the store hung.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./testing/budget-one-connection-child.ts', import.meta.url)),
        database.url,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(killer);
    assert.equal(out.trim(), 'QueryTimeoutError\nagain', 'stopped at its budget, and the one connection still answers');
    assert.equal(code, 0, 'the process ended by itself (killed after 30 s: the store hung)');
  });

  it('keeps the connections a burst opened through a quiet spell longer than 10 s', async () => {
    const store: ResourceStore = await openPostgresStore({ url: database.url, poolSize: 4 });
    try {
      await store.init();
      await Promise.all([1, 2, 3, 4].map((i) => store.read('Patient', `absent-${i}`)));
      const opened = await backendsOf(database.url);
      assert.ok(opened.length >= 4, `4 concurrent reads opened ${opened.length} connections`);
      await new Promise((resolve) => setTimeout(resolve, 11_000));
      assert.deepEqual(await backendsOf(database.url), opened, 'the same backends are still connected');
      await Promise.all([1, 2, 3, 4].map((i) => store.read('Patient', `absent-${i}`)));
      assert.deepEqual(await backendsOf(database.url), opened, 'the next burst runs on them, no new backend');
    } finally {
      await store.close();
    }
  });

  it('lets a process that never closes its store end', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./testing/unclosed-store-child.ts', import.meta.url)), database.url],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    // far below the pool's idle timeout (10 min): only an idle pool that holds the process open would reach it
    const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(killer);
    assert.equal(out.trim(), 'read');
    assert.equal(code, 0, 'the process ended by itself');
  });
});
