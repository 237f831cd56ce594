/**
 * The database leases of the change-feed consumers on the real servers: MySQL/MariaDB named lock (GET_LOCK) and
 * PostgreSQL advisory lock. One holder per name and database; release hands it over; a holder whose connection
 * dies loses it and another node takes it at its next try; the same name in another database is another lease.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../migrate/testing/test-databases.js';
import { mysqlMissing } from '../testing/mysql-missing.js';
import type { FeedLease } from './lease.js';
import { MysqlNamedLock } from './mysql-named-lock.js';
import { PgAdvisoryLease } from './pg-advisory-lease.js';

const engines = {
  mysql: {
    lease: (url: string, name: string) => new MysqlNamedLock(url, name),
    /** Ends every other session holding a named lock in this database, as a dead connection would. */
    async killHolders(url: string) {
      const c = await mysql.createConnection({ uri: url });
      try {
        const [rows] = await c.query<mysql.RowDataPacket[]>(
          'SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()',
        );
        for (const r of rows) await c.query('KILL ?', [r.id]).catch(() => undefined);
      } finally {
        await c.end();
      }
    },
  },
  postgres: {
    lease: (url: string, name: string) => new PgAdvisoryLease(url, name),
    async killHolders(url: string) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(
          // only this test database's sessions (pg_locks is server-wide)
          "SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.pid <> pg_backend_pid()",
        );
      } finally {
        await c.end();
      }
    },
  },
} as const;

for (const engine of ['mysql', 'postgres'] as const) {
  const skip = engine === 'mysql' ? await mysqlMissing() : false;
  describe(
    `change-feed lease on ${engine === 'mysql' ? 'MariaDB (GET_LOCK)' : 'PostgreSQL (advisory lock)'}`,
    { skip },
    () => {
      let dbs: TestDatabase[] = [];
      const leases: FeedLease[] = [];
      const lease = (db: TestDatabase, name: string) => {
        const l = engines[engine].lease(db.url, name);
        leases.push(l);
        return l;
      };
      before(async () => {
        dbs = [await createTestDatabase(engine, 'feed_lease'), await createTestDatabase(engine, 'feed_lease')];
      });
      after(async () => {
        await Promise.all(leases.map((l) => l.release()));
        await Promise.all(dbs.map((d) => d.drop()));
      });

      it('one holder per name; held again by the holder; release hands it over', async () => {
        const a = lease(dbs[0]!, 'feed-a');
        const b = lease(dbs[0]!, 'feed-a');
        assert.equal(await a.held(), true);
        assert.equal(await b.held(), false, 'a second node does not get it');
        assert.equal(await a.held(), true, 'the holder keeps it');
        assert.equal(await lease(dbs[0]!, 'feed-other').held(), true, 'another name is another lease');
        await a.release();
        assert.equal(await b.held(), true, 'taken over once released');
        assert.equal(await a.held(), false);
        await b.release();
      });

      it('the same name in another database is another lease', async () => {
        const a = lease(dbs[0]!, 'shared-name');
        const b = lease(dbs[1]!, 'shared-name');
        assert.deepEqual([await a.held(), await b.held()], [true, true]);
        await a.release();
        await b.release();
      });

      it('a holder whose connection dies loses the lease and another node takes it', async () => {
        const a = lease(dbs[1]!, 'feed-dies');
        const b = lease(dbs[1]!, 'feed-dies');
        assert.equal(await a.held(), true);
        assert.equal(await b.held(), false);
        await engines[engine].killHolders(dbs[1]!.url);
        // b's connection was only used for a failed attempt (closed), so only a's session held a lock.
        let taken = false;
        for (let i = 0; i < 50 && !taken; i++) {
          taken = await b.held();
          if (!taken) await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(taken, true, 'the other node took over');
        assert.equal(await a.held(), false, 'the old holder knows it lost the lease');
      });
    },
  );
}
