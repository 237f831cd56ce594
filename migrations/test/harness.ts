import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Engine } from '../../server/migrate/connection.js';
import { HISTORY_TABLE } from '../../server/migrate/history-table.js';
import { migrateDatabase, undoDatabase } from '../../server/migrate/migrate.js';
import { databaseUrl, serverUrl } from '../../server/migrate/server-urls.js';
import { createTestDatabase, type TestDatabase } from '../../server/migrate/testing/test-databases.js';
import { inspectSchema } from './inspect-schema.js';
import { schemaProblems, type DatabaseRef } from './schema-checks.js';
import { skipOrFail } from '../../server/testing/skip-or-fail.js';

/** Skip reason when the engine's server is not reachable (the suite then says why; under CI=true it fails). */
export async function serverMissing(engine: Engine): Promise<string | false> {
  try {
    if (engine === 'mysql') {
      const c = await mysql.createConnection({ uri: serverUrl('mysql'), connectTimeout: 2000 });
      await c.end();
    } else {
      const c = new pg.Client({ connectionString: databaseUrl('postgres', 'postgres'), connectionTimeoutMillis: 2000 });
      await c.connect();
      await c.end();
    }
    return false;
  } catch (e) {
    return skipOrFail(`no ${engine} server at ${serverUrl(engine)} (${(e as Error).message})`);
  }
}

/** A fresh database with the logical database's schema migrated to the latest version. */
export async function migratedDatabase(engine: Engine, logical: string): Promise<TestDatabase> {
  const db = await createTestDatabase(engine, logical);
  try {
    await migrateDatabase({ engine, database: logical, connection: { url: db.url } });
  } catch (e) {
    await db.drop();
    throw e;
  }
  return db;
}

export async function assertMatchesReference(engine: Engine, url: string, ref: DatabaseRef): Promise<void> {
  assert.deepEqual(schemaProblems(ref, await inspectSchema(engine, url)), []);
}

/** Undo to zero leaves only the history table; migrating again restores a conforming schema. */
export async function assertUndoAndRedo(engine: Engine, logical: string, url: string, ref: DatabaseRef): Promise<void> {
  const undone = await undoDatabase({ engine, database: logical, connection: { url }, target: '0' });
  assert.equal(undone.targetVersion, null);
  assert.ok(undone.applied.length >= 1);
  const empty = await inspectSchema(engine, url);
  assert.deepEqual([...empty.tables.keys()], [HISTORY_TABLE]);
  assert.deepEqual(empty.views, []);
  assert.deepEqual([...empty.triggers.keys()], []);
  const again = await migrateDatabase({ engine, database: logical, connection: { url } });
  assert.equal(again.applied.filter((a) => a.version !== null).length, undone.applied.length);
  await assertMatchesReference(engine, url, ref);
}

export async function mysqlConnection(url: string): Promise<mysql.Connection> {
  const c = await mysql.createConnection({ uri: url, dateStrings: true, decimalNumbers: false, timezone: 'Z' });
  await c.query("SET time_zone = '+00:00'");
  return c;
}

export async function pgClient(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}
