/**
 * The embedded stand-in for Redis (sql-kv.ts) answers as ioredis does for the commands the server uses, on PGlite and
 * on the PostgreSQL server: expiry makes a key absent, HSETNX has exactly one winner among concurrent callers (a
 * refresh token consumed twice), MULTI is all-or-nothing, INCR counts under concurrency, and it survives a reopen.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPgliteClient } from '../store/postgres/open-postgres-store.js';
import { pgClient } from '../store/postgres/pg-client.js';
import { createTestDatabase } from '../store/postgres/testing/test-stores.js';
import type { SqlClient } from '../store/postgres/sql-client.js';
import { migrateDatabase } from '../migrate/migrate.js';
import { EMBEDDED_MIGRATIONS_ROOT, openStoreMigrationSession } from './migration-session.js';
import { postgresStateDb } from './state-db.js';
import { sqlKv, type SqlKv } from './sql-kv.js';

const dir = mkdtempSync(join(tmpdir(), 'nilecare-kv-'));

async function open(client: SqlClient): Promise<SqlKv> {
  await migrateDatabase({
    engine: 'postgres',
    database: 'nilecare_state',
    connection: {},
    session: () => openStoreMigrationSession(client, 'nilecare_state'),
    migrationsRoot: EMBEDDED_MIGRATIONS_ROOT,
  });
  return sqlKv(postgresStateDb(client, 'nilecare_state', 'test'));
}

describe('embedded key-value store (REDIS_URL unset)', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('strings, expiry, hashes, lists, counters and MULTI behave as in Redis, and survive a reopen', async () => {
    let client = await openPgliteClient(join(dir, 'db'));
    let kv = await open(client);
    assert.equal(await kv.set('a', 'one', 'EX', 60), 'OK');
    assert.equal(await kv.get('a'), 'one');
    assert.equal(await kv.exists('a'), 1);
    assert.ok(((await kv.ttl('a')) as number) > 55);
    assert.equal(await kv.ttl('nothing'), -2);
    await kv.set('gone', 'x', 'EX', 1);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await kv.get('gone'), null, 'an expired key is absent');
    assert.equal(await kv.exists('gone'), 0);
    assert.equal(await kv.hsetnx('gone', 'f', 'v'), 1, 'an expired hash is replaced, not merged');

    assert.equal(await kv.hset('h', { payload: '{"a":1}' }), 1);
    assert.equal(await kv.hget('h', 'payload'), '{"a":1}');
    assert.equal(await kv.hsetnx('h', 'consumed', 5), 1);
    assert.equal(await kv.hsetnx('h', 'consumed', 6), 0, 'the second consumer loses');
    assert.deepEqual(await kv.hgetall('h'), { payload: '{"a":1}', consumed: '5' });
    assert.deepEqual(await kv.hgetall('none'), {});

    assert.equal(await kv.rpush('l', 'x'), 1);
    assert.equal(await kv.rpush('l', 'y'), 2);
    assert.deepEqual(await kv.lrange('l', 0, -1), ['x', 'y']);

    const results = await kv.multi().incr('n').incr('n').expire('n', 120).exists('n').exists('missing').exec();
    assert.deepEqual(
      results.map(([, v]) => v),
      [1, 2, 1, 1, 0],
    );
    assert.equal(await kv.del('a', 'l', 'missing'), 2);
    kv.disconnect();
    await client.close();

    client = await openPgliteClient(join(dir, 'db'));
    kv = await open(client);
    assert.equal(await kv.hget('h', 'consumed'), '5', 'kept across a reopen (durable, unlike a bare Redis)');
    assert.equal(await kv.get('n'), '2');
    kv.disconnect();
    await client.close();
  });

  it('concurrent HSETNX on one key: exactly one winner; concurrent INCR: no lost count', async () => {
    const client = await openPgliteClient();
    const kv = await open(client);
    await kv.hset('token', { payload: '{}' });
    const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => kv.hsetnx('token', 'consumed', i)));
    assert.equal(wins.filter((w) => w === 1).length, 1);
    await Promise.all(Array.from({ length: 50 }, () => kv.incr('counter')));
    assert.equal(await kv.get('counter'), '50');
    kv.disconnect();
    await client.close();
  });

  it('a lone EXISTS (the revocation check of every authorised request) takes no row lock: it answers while a MULTI holds the key', async () => {
    const database = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: database.url, max: 4 });
    try {
      const client = pgClient(pool, 'kv test');
      const kv = await open(client);
      await kv.set('revoked:jti-1', '1', 'EX', 60);
      const db = postgresStateDb(client, 'nilecare_state', 'test');
      // a transaction that has locked the row (as a MULTI's EXISTS does) and waits for the lone EXISTS to answer:
      // with a row lock the EXISTS would wait for this transaction, which waits for it (the test never ends)
      const seen = await db.transaction(async (tx) => {
        await tx.query('SELECT 1 FROM kv_entries WHERE key = ? FOR UPDATE', ['revoked:jti-1']);
        return Promise.all([kv.exists('revoked:jti-1'), kv.exists('revoked:other')]);
      });
      assert.deepEqual(seen, [1, 0]);
      const { rows } = await pool.query<{ n: string | number }>(
        `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted`,
      );
      assert.equal(Number(rows[0]?.n), 0, 'nobody waited on a lock');
      // inside a MULTI, EXISTS still locks the key against a concurrent delete
      const results = await kv.multi().exists('revoked:jti-1').hsetnx('h', 'f', 'v').exec();
      assert.deepEqual(
        results.map(([, v]) => v),
        [1, 1],
      );
      kv.disconnect();
    } finally {
      await pool.end();
      await database.drop();
    }
  });
});
