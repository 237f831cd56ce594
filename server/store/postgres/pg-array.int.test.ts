/** pgArray() literals read back by PostgreSQL (server and PGlite) as the very values given. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { pgArray } from './pg-array.js';
import { createTestDatabase } from './testing/test-stores.js';

const TEXTS = [
  'plain',
  '',
  'with "quotes"',
  'back\\slash',
  '{braces},comma',
  'NULL',
  ' spaced ',
  'ünïcødé ✓ 漢字',
  "it's",
  null,
];
const FLOATS = [0, -1.5, 1e-7, 123456789.125, Number.MAX_VALUE, null];
const INTS = [0, -5, 1_700_000_000_000, null];
const BOOLS = [true, false, null];

describe('pgArray', () => {
  let database: { url: string; drop: () => Promise<void> };
  let client: pg.Client;
  let lite: PGlite;
  before(async () => {
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    lite = await PGlite.create();
  });
  after(async () => {
    await client?.end();
    await database?.drop();
    await lite?.close();
  });

  for (const target of ['server', 'pglite'] as const) {
    it(`round-trips text, float8, bigint and bool arrays (${target})`, async () => {
      const sql = 'SELECT $1::text[] AS t, $2::float8[] AS f, $3::bigint[]::text[] AS i, $4::bool[] AS b';
      const values = [pgArray(TEXTS), pgArray(FLOATS), pgArray(INTS), pgArray(BOOLS)];
      const row = (
        target === 'server'
          ? (await client.query(sql, values)).rows[0]
          : (await lite.query<Record<string, unknown>>(sql, values)).rows[0]
      ) as Record<string, unknown[]>;
      assert.deepEqual(row.t, TEXTS);
      assert.deepEqual(row.f, FLOATS);
      assert.deepEqual(
        row.i,
        INTS.map((v) => (v === null ? null : String(v))),
      );
      assert.deepEqual(row.b, BOOLS);
    });
  }

  it('an empty array', () => assert.equal(pgArray([]), '{}'));
});
