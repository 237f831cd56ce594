/**
 * Throw-away databases for the change-feed contract tests: a fresh database on the local MariaDB or PostgreSQL
 * (createTestDatabase) opened as a FeedDb, over the same drivers the consumers use (mysql2, pg).
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createTestDatabase } from '../../migrate/testing/test-databases.js';
import type { FeedDb, FeedDialect, FeedTx } from '../feed-state.js';

export type TestFeedDb = FeedDb & { url: string; close(): Promise<void> };

/** Opens another pool on the same database (a second node). */
export function openFeedDb(dialect: FeedDialect, url: string): TestFeedDb {
  if (dialect === 'mysql') {
    const pool = mysql.createPool({ uri: url, connectionLimit: 4, dateStrings: true, bigNumberStrings: true });
    const asTx = (c: mysql.Pool | mysql.PoolConnection): FeedTx => ({
      dialect,
      query: async <T>(sql: string, params: unknown[] = []) => {
        const [rows] = await c.query(sql, params);
        return (Array.isArray(rows) ? rows : []) as T[];
      },
    });
    return {
      ...asTx(pool),
      url,
      async transaction(fn) {
        const c = await pool.getConnection();
        try {
          await c.query('START TRANSACTION');
          const out = await fn(asTx(c));
          await c.query('COMMIT');
          return out;
        } catch (e) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw e;
        } finally {
          c.release();
        }
      },
      close: () => pool.end(),
    };
  }
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => undefined);
  const toPg = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  const asTx = (c: pg.Pool | pg.PoolClient): FeedTx => ({
    dialect,
    query: async <T>(sql: string, params: unknown[] = []) => (await c.query(toPg(sql), params)).rows as T[],
  });
  return {
    ...asTx(pool),
    url,
    async transaction(fn) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const out = await fn(asTx(c));
        await c.query('COMMIT');
        return out;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}

export async function createFeedDb(dialect: FeedDialect): Promise<{ db: TestFeedDb; drop: () => Promise<void> }> {
  const created = await createTestDatabase(dialect, 'change_feed');
  const db = openFeedDb(dialect, created.url);
  return {
    db,
    drop: async () => {
      await db.close().catch(() => undefined);
      await created.drop();
    },
  };
}
