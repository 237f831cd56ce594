/**
 * The embedded store's statement queue: a lone short statement is served before bulk work already waiting (a bundle
 * load must not hold up every read and single-resource write), bulk work is never starved, and one statement runs
 * at a time whatever the order.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BULK_BYTES, SHORT_BEFORE_BULK, StatementQueue, statementBytes } from './pglite-queue.js';

/** Holds a statement until `release()` is called. */
function gate() {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { release, done };
}

describe('PGlite statement queue', () => {
  it('serves a short statement before the bulk statements queued ahead of it', async () => {
    const queue = new StatementQueue();
    const order: string[] = [];
    let running = 0;
    const work = (name: string, wait?: Promise<void>) => async () => {
      running++;
      assert.equal(running, 1, 'one statement at a time');
      order.push(name);
      await (wait ?? Promise.resolve());
      await new Promise((r) => setImmediate(r));
      running--;
      return name;
    };
    const first = gate();
    const all = [
      queue.run(work('bulk 1', first.done), true),
      queue.run(work('bulk 2'), true),
      queue.run(work('bulk 3'), true),
      queue.run(work('bulk 4'), true),
    ];
    const lone = queue.run(work('short'));
    assert.deepEqual(queue.waiting, { short: 1, bulk: 3 });
    first.release();
    assert.equal(await lone, 'short');
    await Promise.all(all);
    assert.deepEqual(order, ['bulk 1', 'short', 'bulk 2', 'bulk 3', 'bulk 4']);
  });

  it('serves waiting bulk work after a run of short statements passed it over', async () => {
    const queue = new StatementQueue();
    const order: string[] = [];
    const first = gate();
    const work = (name: string, wait?: Promise<void>) => async () => {
      order.push(name);
      await (wait ?? Promise.resolve());
    };
    const all = [queue.run(work('short 0', first.done)), queue.run(work('bulk'), true)];
    for (let i = 1; i <= SHORT_BEFORE_BULK + 4; i++) all.push(queue.run(work(`short ${i}`)));
    first.release();
    await Promise.all(all);
    assert.equal(order.indexOf('bulk'), SHORT_BEFORE_BULK + 1, order.join(', '));
  });

  it('a short statement sent right after another one is still served before waiting bulk work', async () => {
    const queue = new StatementQueue();
    const order: string[] = [];
    const request = (async () => {
      await queue.run(async () => void order.push('read'));
      await queue.run(async () => void order.push('write')); // the same request's next statement
    })();
    const bulk = queue.run(async () => void order.push('bulk'), true);
    await Promise.all([request, bulk]);
    assert.deepEqual(order, ['read', 'write', 'bulk']);
  });

  it('passes a failure to its caller and goes on with the next statement', async () => {
    const queue = new StatementQueue();
    const failed = queue.run(async () => {
      throw new Error('syntax error');
    });
    const next = queue.run(async () => 'next', true);
    await assert.rejects(failed, /syntax error/);
    assert.equal(await next, 'next');
    const thrown = queue.run(() => {
      throw new Error('thrown before a promise');
    });
    await assert.rejects(thrown, /thrown before a promise/);
    assert.equal(await queue.run(async () => 'after'), 'after');
  });

  it('counts a statement by its text and parameters', () => {
    assert.ok(statementBytes('SELECT 1', []) < BULK_BYTES);
    assert.ok(statementBytes('INSERT …', ['{"resourceType":"Patient"}', 1, null]) < BULK_BYTES);
    assert.ok(statementBytes('INSERT …', ['x'.repeat(BULK_BYTES)]) > BULK_BYTES);
    assert.ok(statementBytes('INSERT …', [['a'.repeat(BULK_BYTES / 2), 'b'.repeat(BULK_BYTES / 2)]]) > BULK_BYTES);
    assert.ok(statementBytes('INSERT …', [new Uint8Array(BULK_BYTES + 1)]) > BULK_BYTES);
  });

  it('reports how long each kind of work waited for its turn and ran', async () => {
    const queue = new StatementQueue();
    const first = gate();
    const bulk = queue.run(async () => {
      await first.done;
    }, true);
    const lone = queue.run(async () => 'read', false, 'read');
    await new Promise((r) => setTimeout(r, 30));
    first.release();
    await Promise.all([bulk, lone]);
    const timings = queue.timings();
    assert.deepEqual(Object.keys(timings).sort(), ['bulk', 'read']);
    assert.equal(timings['bulk']!.count, 1);
    assert.ok(timings['bulk']!.runMs.max >= 25, JSON.stringify(timings)); // it held the queue while the gate was shut
    assert.ok(timings['read']!.waitMs.p50 >= 25, JSON.stringify(timings)); // the lone read waited for it
    assert.ok(timings['read']!.runMs.p50 < 25, JSON.stringify(timings));
  });
});
