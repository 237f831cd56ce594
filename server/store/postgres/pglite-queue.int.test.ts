/**
 * The embedded store's one connection under a bulk load: a lone read sent while large writes are queued is answered
 * before them (pglite-queue.ts), and every write still lands whole.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openPgliteClient } from './open-postgres-store.js';
import { BULK_BYTES } from './pglite-queue.js';

describe('PGlite client: a lone statement during a bulk load', () => {
  it('answers a read sent behind four large writes before the three that had not started', async () => {
    const client = await openPgliteClient();
    try {
      await client.exec('CREATE TABLE load (n int, body text)');
      const body = 'x'.repeat(BULK_BYTES + 1);
      const answered: string[] = [];
      const writes = [1, 2, 3, 4].map((n) =>
        client
          .query({ text: 'INSERT INTO load SELECT $1::int, $2::text FROM generate_series(1, 20)', values: [n, body] })
          .then(() => answered.push(`write ${n}`)),
      );
      const read = client
        .query<{ count: string }>({ text: 'SELECT count(*)::text AS count FROM load' })
        .then((r) => answered.push(`read ${r.rows[0]!.count}`));
      await Promise.all([...writes, read]);
      assert.deepEqual(answered, ['write 1', 'read 20', 'write 2', 'write 3', 'write 4']);
      const { rows } = await client.query<{ n: number; c: string }>({
        text: 'SELECT n, count(*)::text AS c FROM load GROUP BY n ORDER BY n',
      });
      assert.deepEqual(
        rows.map((r) => [r.n, r.c]),
        [
          [1, '20'],
          [2, '20'],
          [3, '20'],
          [4, '20'],
        ],
      );
    } finally {
      await client.close();
    }
  });

  it('keeps a transaction whole while short statements wait', async () => {
    const client = await openPgliteClient();
    try {
      await client.exec('CREATE TABLE t (n int)');
      const seen: number[] = [];
      const tx = client.transaction(async (t) => {
        await t.query({ text: 'INSERT INTO t VALUES (1)' });
        await new Promise((r) => setTimeout(r, 20));
        await t.query({ text: 'INSERT INTO t VALUES (2)' });
      });
      const read = client
        .query<{ c: number }>({ text: 'SELECT count(*)::int AS c FROM t' })
        .then((r) => seen.push(r.rows[0]!.c));
      await Promise.all([tx, read]);
      assert.deepEqual(seen, [2], 'the read saw the transaction whole, not half of it');
    } finally {
      await client.close();
    }
  });
});
