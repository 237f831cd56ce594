/**
 * The message log with many messages in flight, on every engine it is kept on (MariaDB, PostgreSQL, PGlite; each a
 * migrated nilecare_interop): group-committed writes keep their order and only fail their own caller; concurrent
 * deliveries of one control id are processed once.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import type { Bundle } from '@medplum/fhirtypes';
import { MysqlWriteBatch } from './mysql-write-batch.js';
import { PgWriteBatch } from './pg-write-batch.js';
import { interopBackends, type InteropFixture } from './testing/interop-backends.js';
import { processMessage, type InboundDeps } from '../inbound/process-message.js';
import { siteMappings } from '../inbound/site-mapping-cache.js';

/** Reads (look-ups before a write) find nothing here. */
const lookup = (b: Bundle): Bundle => ({
  resourceType: 'Bundle',
  type: 'transaction-response',
  entry: (b.entry ?? []).map(() => ({
    resource: { resourceType: 'Bundle', type: 'searchset', entry: [] },
    response: { status: '200 OK' },
  })),
});

const msg = (controlId: string, mrn: string) =>
  `MSH|^~\\&|LAB|KTH|NILE|NC|20260301||ADT^A08|${controlId}|P|2.5.1\rPID|1||${mrn}^^^KTH^MR||Hassan^Amna||19750505|F\rPV1|1|O`;

for (const backend of await interopBackends()) {
  describe(`message log on ${backend.name} with messages in flight`, { skip: backend.skip }, () => {
    let fx: InteropFixture;
    const sql = (text: string, params?: unknown[]) => fx.sql(text, params);
    let submitted = 0;
    // The FHIR side only counts what it is given (slowly, so that deliveries overlap); the server is covered elsewhere.
    const submit = async (b: Bundle): Promise<Bundle> => {
      if ((b.entry ?? []).every((e) => e.request?.method === 'GET')) return lookup(b); // reads before the write
      submitted++;
      await new Promise((r) => setTimeout(r, 30));
      return {
        resourceType: 'Bundle',
        type: 'transaction-response',
        entry: (b.entry ?? []).map((_, i) => ({
          response: { status: '201 Created', location: `Patient/p${i}/_history/1` },
        })),
      };
    };
    let deps: InboundDeps;

    before(async () => {
      fx = await backend.open();
      deps = { submit, log: fx.log, mappings: siteMappings(fx.log) };
    });
    after(async () => {
      await fx?.close();
    });

    it('processes 40 messages in flight at once: each is ACKed AA with its final row and log line stored', async () => {
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => processMessage(msg(`MANY-${i}`, `M-${i}`), deps)),
      );
      assert.deepEqual(
        results.map((r) => r.code),
        Array(40).fill('AA'),
      );
      const rows = await sql("SELECT status, ack_code, processed_at FROM hl7_messages WHERE control_id LIKE 'MANY-%'");
      assert.equal(rows.length, 40);
      assert.ok(rows.every((r) => r.status === 'processed' && r.ack_code === 'AA' && r.processed_at));
      const logs = await sql(
        "SELECT COUNT(*) AS n FROM hl7_message_logs l JOIN hl7_messages m ON m.id = l.message_id WHERE m.control_id LIKE 'MANY-%' AND l.stage = 'transaction'",
      );
      assert.equal(Number(logs[0]!.n), 40);
    });

    it('answers concurrent deliveries of one control id once: one transaction, the others are duplicates', async () => {
      const before = submitted;
      const results = await Promise.all(Array.from({ length: 8 }, () => processMessage(msg('SAME-1', 'M-SAME'), deps)));
      assert.equal(submitted - before, 1);
      assert.equal(results.filter((r) => !r.duplicate).length, 1);
      assert.ok(results.filter((r) => r.duplicate).every((r) => r.code === 'AE' || r.code === 'AA'));
      const rows = await sql("SELECT status FROM hl7_messages WHERE control_id = 'SAME-1'");
      assert.deepEqual(
        rows.map((r) => r.status),
        ['processed'],
      );
      // Sent again once processed: the stored ACK is replayed, nothing is written.
      const again = await processMessage(msg('SAME-1', 'M-SAME'), deps);
      assert.deepEqual([again.code, again.duplicate, submitted - before], ['AA', true, 1]);
    });

    it('commits queued writes in call order, and a failing statement fails only its own caller', async () => {
      await sql('CREATE TABLE batch_probe (k VARCHAR(10) PRIMARY KEY, v INT NOT NULL)');
      const pool = fx.mysqlUrl
        ? mysql.createPool({ uri: fx.mysqlUrl, connectionLimit: 2, multipleStatements: true })
        : undefined;
      const mysqlBatch = pool ? new MysqlWriteBatch(pool) : undefined;
      const pgBatch = fx.stateDb ? new PgWriteBatch(fx.stateDb) : undefined;
      const run = (text: string, params: (string | number)[]) =>
        mysqlBatch ? mysqlBatch.run(text, params) : pgBatch!.run(text, params);
      const row = (k: string, v: number) =>
        mysqlBatch
          ? mysqlBatch.insertRow('batch_probe (k, v)', [k, v])
          : pgBatch!.run('INSERT INTO batch_probe (k, v) VALUES (?, ?)', [k, v]);
      try {
        const writes = [
          run('INSERT INTO batch_probe (k, v) VALUES (?, ?)', ['a', 1]),
          run('UPDATE batch_probe SET v = ? WHERE k = ?', [2, 'a']),
          run('INSERT INTO batch_probe (k, v) VALUES (?, ?)', ['a', 9]), // duplicate key: fails
          row('b', 1),
          row('c', 1),
          run('UPDATE batch_probe SET v = ? WHERE k = ?', [3, 'a']),
        ];
        const settled = await Promise.allSettled(writes);
        assert.deepEqual(
          settled.map((s) => s.status),
          ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'],
        );
        assert.match(String((settled[2] as PromiseRejectedResult).reason?.code), /ER_DUP_ENTRY|23505/);
        const rows = await sql('SELECT k, v FROM batch_probe ORDER BY k');
        assert.deepEqual(
          rows.map((r) => [r.k, Number(r.v)]),
          [
            ['a', 3],
            ['b', 1],
            ['c', 1],
          ],
        );
      } finally {
        await mysqlBatch?.drain();
        await pgBatch?.drain();
        await pool?.end();
      }
    });
  });
}
