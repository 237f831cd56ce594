/**
 * Contract of the change-feed consumer on the real databases (MariaDB and PostgreSQL, a throw-away database each):
 * a crash mid-batch loses nothing and applies nothing twice; two nodes never apply the same batch; a lease keeps one
 * node active and another takes over; failed batches back off exponentially; a change that fails becomes a dead
 * letter retried on its schedule, superseded by a newer version, cleared by a successful retry; lag is reported.
 * The change log is an in-process list (the store's own change-log contract is in server/store/testing/store-contract.ts):
 * what is tested here is the consumer's state and effects in its database.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeRecord } from '../store/resource-store.js';
import { nextAttemptAt, utcNow } from './backoff.js';
import { FeedConsumer, type FeedHandler } from './feed-consumer.js';
import { SqlFeedCursor, type FeedTx } from './feed-state.js';
import type { FeedLease } from './lease.js';
import { MysqlNamedLock } from './mysql-named-lock.js';
import { PgAdvisoryLease } from './pg-advisory-lease.js';
import { SqlDeadLetters } from './sql-dead-letters.js';
import { createFeedDb, openFeedDb, type TestFeedDb } from './testing/feed-databases.js';
import { mysqlMissing } from '../testing/mysql-missing.js';

const CURSORS = { table: 'feed_state', key: 'consumer', count: 'effects' };
const letters = new SqlDeadLetters('feed_dead_letters', 'consumer');

/** The FHIR change log as the store gives it. */
class ChangeLog {
  readonly changes: ChangeRecord[] = [];
  private versions = new Map<string, number>();
  add(n: number, o: { id?: (i: number) => string; at?: string } = {}): void {
    for (let i = 0; i < n; i++) {
      const id = o.id?.(i) ?? `p${this.changes.length + 1}`;
      const versionId = (this.versions.get(id) ?? 0) + 1;
      this.versions.set(id, versionId);
      this.changes.push({
        seq: this.changes.length * 3 + 1, // gaps, as the stores allow
        resourceType: 'Patient',
        id,
        versionId,
        deleted: false,
        lastUpdated: o.at ?? new Date().toISOString(),
      });
    }
  }
  readonly store = {
    changesAfter: async (after: number, limit: number) => this.changes.filter((c) => c.seq > after).slice(0, limit),
  };
}

async function ensureTables(db: FeedTx): Promise<void> {
  await db.query(
    `CREATE TABLE feed_state (consumer VARCHAR(50) NOT NULL PRIMARY KEY, cursor_seq BIGINT NOT NULL DEFAULT 0,
      effects BIGINT NOT NULL DEFAULT 0, last_change_at VARCHAR(40) NULL)`,
  );
  // No unique key: a change applied twice shows as two rows.
  await db.query(
    'CREATE TABLE feed_effects (consumer VARCHAR(50) NOT NULL, resource_id VARCHAR(64) NOT NULL, version INT NOT NULL, node VARCHAR(10) NOT NULL)',
  );
  await letters.ensureTable(db);
}

/** Writes each change as an effect row in the batch's transaction; `fail` decides per change. */
function effectHandler(
  name: string,
  node: string,
  o: {
    fail?: (c: ChangeRecord) => boolean;
    onChange?: (c: ChangeRecord, index: number) => Promise<void> | void;
    schedule?: { maxAttempts: number; baseMs: number };
    db?: TestFeedDb;
  } = {},
): FeedHandler & { batches: Array<{ node: string; start: number; end: number }> } {
  const batches: Array<{ node: string; start: number; end: number }> = [];
  const schedule = o.schedule ?? { maxAttempts: 3, baseMs: 60_000 };
  return {
    batches,
    async handle(tx, changes) {
      const start = performance.now();
      let n = 0;
      for (const [i, c] of changes.entries()) {
        await o.onChange?.(c, i);
        if (o.fail?.(c)) {
          await letters.recordFailure(tx, name, {
            resourceType: c.resourceType,
            resourceId: c.id,
            version: c.versionId,
            seq: c.seq,
            error: `cannot apply ${c.id}`,
            now: utcNow(),
            nextAttemptAt: (attempts) => nextAttemptAt(schedule, attempts),
          });
          continue;
        }
        await tx.query('INSERT INTO feed_effects (consumer, resource_id, version, node) VALUES (?, ?, ?, ?)', [
          name,
          c.id,
          c.versionId,
          node,
        ]);
        const [letter] = (await letters.list(tx, name)).filter((d) => d.resourceId === c.id);
        if (letter)
          await letters.supersede(tx, name, { resourceType: c.resourceType, id: c.id }, c.versionId, utcNow());
        n++;
      }
      batches.push({ node, start, end: performance.now() });
      return n;
    },
  };
}

async function effects(db: FeedTx, name: string): Promise<Map<string, number>> {
  const rows = await db.query<{ resource_id: string; version: number | string; n: number | string }>(
    'SELECT resource_id, version, COUNT(*) AS n FROM feed_effects WHERE consumer = ? GROUP BY resource_id, version',
    [name],
  );
  return new Map(rows.map((r) => [`${r.resource_id}/${r.version}`, Number(r.n)]));
}

function expectEachOnce(seen: Map<string, number>, log: ChangeLog, except: (c: ChangeRecord) => boolean = () => false) {
  const want = log.changes.filter((c) => !except(c)).map((c) => `${c.id}/${c.versionId}`);
  assert.deepEqual([...seen.keys()].sort(), [...want].sort(), 'every change applied');
  const twice = [...seen].filter(([, n]) => n !== 1);
  assert.deepEqual(twice, [], 'no change applied twice');
}

async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The database lease of the dialect (lease.int.test.ts is its own contract). */
const databaseLease = (dialect: 'mysql' | 'postgres', url: string, name: string): FeedLease =>
  dialect === 'mysql' ? new MysqlNamedLock(url, name) : new PgAdvisoryLease(url, name);

for (const dialect of ['mysql', 'postgres'] as const) {
  const skip = dialect === 'mysql' ? await mysqlMissing() : false;
  describe(`change-feed consumer on ${dialect === 'mysql' ? 'MariaDB' : 'PostgreSQL'}`, { skip }, () => {
    let db: TestFeedDb;
    let drop: () => Promise<void>;
    let n = 0;
    const fresh = () => `c${++n}`;

    before(async () => {
      ({ db, drop } = await createFeedDb(dialect));
      await ensureTables(db);
    });
    after(async () => drop?.());

    const consumer = (
      name: string,
      log: ChangeLog,
      handler: FeedHandler,
      extra: Partial<ConstructorParameters<typeof FeedConsumer>[0]> = {},
    ) =>
      new FeedConsumer({
        store: log.store,
        db,
        cursor: new SqlFeedCursor(CURSORS, name),
        handler,
        batchSize: 10,
        pollIntervalMs: 10,
        ...extra,
      });

    it('a crash mid-batch rolls the batch back: nothing lost, nothing applied twice', async () => {
      const name = fresh();
      const log = new ChangeLog();
      log.add(25);
      let crashes = 0;
      const crashing = effectHandler(name, 'a', {
        onChange: (c, i) => {
          // The second batch dies after applying 4 of its changes (the process is gone before the commit).
          if (c.seq > 30 && i === 4 && crashes++ === 0) throw new Error('killed');
        },
      });
      const feed = consumer(name, log, crashing);
      assert.equal(await feed.runBatch(), 10);
      await assert.rejects(feed.runBatch(), /killed/);
      assert.equal((await effects(db, name)).size, 10, 'the crashed batch left no effect');
      assert.equal((await feed.lag()).cursor, log.changes[9]!.seq, 'nor moved the cursor');
      // A restarted node (a new consumer on a new pool) goes on from the cursor.
      const other = openFeedDb(dialect, db.url);
      try {
        const again = new FeedConsumer({
          store: log.store,
          db: other,
          cursor: new SqlFeedCursor(CURSORS, name),
          handler: effectHandler(name, 'b'),
          batchSize: 10,
        });
        while ((await again.runBatch()) > 0);
        expectEachOnce(await effects(db, name), log);
        const lag = await again.lag();
        assert.deepEqual([lag.cursor, lag.count, lag.lagChanges], [log.changes[24]!.seq, 25, 0]);
      } finally {
        await other.close();
      }
    });

    it('two nodes consuming at once: batches one at a time, each change applied once', async () => {
      const name = fresh();
      const log = new ChangeLog();
      log.add(60);
      const other = openFeedDb(dialect, db.url);
      const ha = effectHandler(name, 'a', { onChange: () => new Promise((r) => setImmediate(r)) });
      const hb = effectHandler(name, 'b', { onChange: () => new Promise((r) => setImmediate(r)) });
      const a = consumer(name, log, ha, { batchSize: 3 }).start();
      const b = new FeedConsumer({
        store: log.store,
        db: other,
        cursor: new SqlFeedCursor(CURSORS, name),
        handler: hb,
        batchSize: 3,
        pollIntervalMs: 10,
      }).start();
      try {
        await waitFor('both caught up', async () => (await a.caughtUp()) && (await b.caughtUp()));
      } finally {
        await Promise.all([a.stop(), b.stop()]);
        await other.close();
      }
      expectEachOnce(await effects(db, name), log);
      // Committed batches never overlap in time (the second node waited on the cursor row).
      const all = [...ha.batches, ...hb.batches].sort((x, y) => x.start - y.start);
      for (let i = 1; i < all.length; i++) assert.ok(all[i]!.start >= all[i - 1]!.end, 'batches overlap');
      assert.equal(all.length, 20, 'every batch of 3 committed exactly once');
    });

    it('with the database lease one node is active; when it stops another takes over where it left off', async () => {
      const name = fresh();
      const log = new ChangeLog();
      log.add(10);
      const ha = effectHandler(name, 'a');
      const hb = effectHandler(name, 'b');
      const a = consumer(name, log, ha, { lease: databaseLease(dialect, db.url, name) }).start();
      await waitFor('a caught up', () => a.caughtUp());
      const b = consumer(name, log, hb, { lease: databaseLease(dialect, db.url, name) }).start();
      log.add(10);
      await waitFor('a caught up again', () => a.caughtUp());
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual([a.active, b.active], [true, false]);
      assert.equal(hb.batches.length, 0, 'the node without the lease consumed nothing');
      await a.stop();
      log.add(10);
      await waitFor('b took over', () => b.active && b.caughtUp());
      await b.stop();
      assert.ok(hb.batches.length > 0);
      expectEachOnce(await effects(db, name), log);
      assert.ok(
        (await effects(db, name)).size === 30 &&
          (
            await db.query<{ n: string }>("SELECT COUNT(*) AS n FROM feed_effects WHERE consumer = ? AND node = 'b'", [
              name,
            ])
          ).map((r) => Number(r.n))[0] === 10,
        'b applied only what came after a stopped',
      );
    });

    it('a failing batch is retried with exponential backoff, and the error is reported until it passes', async () => {
      const name = fresh();
      const log = new ChangeLog();
      log.add(5);
      const attempts: number[] = [];
      const inner = effectHandler(name, 'a');
      const handler: FeedHandler = {
        async handle(tx, changes, mode) {
          attempts.push(performance.now());
          if (attempts.length <= 4) throw Object.assign(new Error('connection lost'), { code: 'ECONNRESET' });
          return inner.handle(tx, changes, mode);
        },
      };
      const feed = consumer(name, log, handler, { pollIntervalMs: 20 }).start();
      await waitFor('the error reported', () => feed.lastError !== undefined);
      assert.match(feed.lastError!, /ECONNRESET.*connection lost/);
      await waitFor('caught up', () => feed.caughtUp());
      await feed.stop();
      assert.equal(feed.lastError, undefined, 'cleared once a batch passed');
      const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
      // 20 ms · 2^failures: at least 40, 80, 160, 320 ms between the attempts.
      for (const [i, gap] of gaps.slice(0, 4).entries())
        assert.ok(gap >= 20 * 2 ** (i + 1) - 5, `gap ${i + 1} is ${gap.toFixed(0)} ms`);
      expectEachOnce(await effects(db, name), log);
    });

    it('a batch that fails as a whole can be run again change by change at once (isolateAfter)', async () => {
      const name = fresh();
      const log = new ChangeLog();
      log.add(4);
      const modes: boolean[] = [];
      const inner = effectHandler(name, 'a');
      const feed = consumer(name, log, {
        async handle(tx, changes, mode) {
          modes.push(mode.oneByOne);
          if (!mode.oneByOne) throw new Error('multi-row insert failed');
          return inner.handle(tx, changes, mode);
        },
        isolateAfter: (e) => /multi-row/.test(String(e)),
      });
      assert.equal(await feed.runBatch(), 4);
      assert.deepEqual(modes, [false, true]);
      expectEachOnce(await effects(db, name), log);
    });

    it('a change that fails is a dead letter: the others go on, retries follow the schedule, a newer version supersedes it', async () => {
      const name = fresh();
      const log = new ChangeLog();
      log.add(6, { id: (i) => (i === 2 ? 'bad' : `ok${i}`) });
      let broken = true;
      const handler = effectHandler(name, 'a', {
        fail: (c) => broken && c.id === 'bad',
        schedule: { maxAttempts: 3, baseMs: 1 },
      });
      const retried: number[] = [];
      const feed = consumer(name, log, {
        ...handler,
        // A retry: the failed version again, in a transaction holding the cursor.
        retryDue: async () => {
          let ok = 0;
          for (const d of await letters.due(db, name, utcNow())) {
            retried.push(d.attempts);
            ok += await feed.withCursorLocked(async (tx) => {
              const change = log.changes.find((c) => c.id === d.resourceId && c.versionId === d.failedVersion)!;
              const applied = await handler.handle(tx, [change], { oneByOne: true });
              if (applied) await letters.clear(tx, name, { resourceType: d.resourceType, id: d.resourceId });
              return applied;
            });
          }
          return ok;
        },
      }).start();
      await waitFor('attempts exhausted', async () => (await letters.list(db, name))[0]?.nextAttemptAt === null);
      const [letter] = await letters.list(db, name);
      assert.equal(letter!.attempts, 3, 'the first failure and two automatic retries');
      assert.equal(letter!.failedVersion, 1);
      assert.match(letter!.error, /cannot apply bad/);
      assert.deepEqual(retried, [1, 2], 'retried after each failure until maxAttempts');
      assert.equal((await feed.lag()).lagChanges, 0, 'the dead letter did not hold the feed back');
      expectEachOnce(await effects(db, name), log, (c) => c.id === 'bad');
      // A newer version, applied, supersedes the letter (kept for the console).
      broken = false;
      log.add(1, { id: () => 'bad' });
      await waitFor('caught up', () => feed.caughtUp());
      await feed.stop();
      const all = await letters.list(db, name, 'all');
      assert.deepEqual(
        all.map((d) => [d.state, d.failedVersion, d.supersededBy]),
        [['superseded', 1, 2]],
      );
      assert.deepEqual(await letters.list(db, name), [], 'no failed letter left');
    });

    it('a dead letter retried once its cause is fixed is cleared and its change applied once', async () => {
      const name = fresh();
      const log = new ChangeLog();
      log.add(3, { id: (i) => (i === 0 ? 'bad' : `ok${i}`) });
      let broken = true;
      const handler = effectHandler(name, 'a', {
        fail: (c) => broken && c.id === 'bad',
        schedule: { maxAttempts: 5, baseMs: 1 },
      });
      const feed = consumer(name, log, handler);
      await feed.runBatch();
      assert.equal((await letters.list(db, name)).length, 1);
      broken = false;
      const [d] = await letters.due(db, name, utcNow());
      await feed.withCursorLocked(async (tx) => {
        await handler.handle(tx, [log.changes[0]!], { oneByOne: true });
        await letters.clear(tx, name, { resourceType: d!.resourceType, id: d!.resourceId });
      });
      assert.deepEqual(await letters.list(db, name, 'all'), []);
      expectEachOnce(await effects(db, name), log);
    });

    it('reports lag: changes after the cursor and the age of the oldest; none once caught up', async () => {
      const name = fresh();
      const log = new ChangeLog();
      const at = new Date(Date.now() - 90_000).toISOString();
      log.add(15, { at });
      const feed = consumer(name, log, effectHandler(name, 'a'));
      const before = await feed.lag();
      assert.deepEqual([before.cursor, before.count, before.lagChanges], [0, 0, 15]);
      assert.ok(before.lagSeconds >= 90, `lagSeconds ${before.lagSeconds}`);
      assert.equal(await feed.caughtUp(), false);
      await feed.runBatch();
      const mid = await feed.lag();
      assert.deepEqual([mid.cursor, mid.count, mid.lagChanges], [log.changes[9]!.seq, 10, 5]);
      await feed.runBatch();
      const done = await feed.lag();
      assert.deepEqual([done.lagChanges, done.lagSeconds, done.count], [0, 0, 15]);
      assert.equal(await feed.caughtUp(), true);
    });

    it('starts a new cursor where it is told (the end of the log), and only once', async () => {
      const name = fresh();
      const log = new ChangeLog();
      log.add(5);
      const end = log.changes[4]!.seq;
      let asked = 0;
      const cursor = new SqlFeedCursor(CURSORS, name, async () => (asked++, end));
      const h = effectHandler(name, 'a');
      const feed = new FeedConsumer({ store: log.store, db, cursor, handler: h });
      assert.equal(await feed.runBatch(), 0, 'the changes before the start are not consumed');
      log.add(2);
      assert.equal(await feed.runBatch(), 2);
      assert.equal(asked, 1);
      assert.equal((await effects(db, name)).size, 2);
    });
  });
}
