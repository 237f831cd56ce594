/**
 * Outbound character sets on real parts: a PGlite FHIR store, nilecare_interop on the local MariaDB, the
 * OutboundWorker, and receiving systems on real MLLP sockets that keep the bytes they were sent.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import type { Resource } from '@medplum/fhirtypes';
import { createTestDatabase, type TestDatabase } from '../../../server/migrate/testing/test-databases.js';
import { migrateDatabase } from '../../../server/migrate/migrate.js';
import { openPgliteTestStore } from '../../../server/store/postgres/testing/pglite-template.js';
import type { ResourceStore } from '../../../server/store/resource-store.js';
import { fhirWriter } from '../../outbox/testing/fhir-writer.js';
import { OutboundWorker } from './outbound-worker.js';
import { startMllpServer, type MllpServer } from '../mllp/mllp-server.js';
import { buildAck } from '../ack/ack-builder.js';
import { parseMessage } from '../parser/parse-message.js';
import { mysqlMissing } from '../../../server/testing/mysql-missing.js';
import { runCli } from '../../../server/cli/cli-kit.js';
import { HL7_ENDPOINTS_HELP, hl7Endpoints } from '../cli/endpoints.js';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false) {
  const until = Date.now() + 20_000;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A receiver that keeps each frame's bytes and answers AA in the message's own MSH-18 (by its handler). */
class BytePeer {
  readonly frames: Buffer[] = [];
  private server?: MllpServer;
  async start(): Promise<number> {
    this.server = await startMllpServer(
      async (text, _info, bytes) => {
        this.frames.push(Buffer.from(bytes));
        return buildAck(parseMessage(text), { code: 'AA' });
      },
      { port: 0, host: '127.0.0.1' },
    );
    return this.server.port;
  }
  stop = () => this.server?.close();
  /** Frames holding a PID-3 of `mrn` (ASCII, so found in any of the sets here). */
  of = (mrn: string) => this.frames.filter((f) => f.includes(Buffer.from(`|${mrn}^`)));
}

const patient = (id: string, mrn: string, family: string, given: string): Resource => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: 'urn:oid:1.2.3', value: mrn }],
  name: [{ family, given: [given] }],
});

describe(
  "HL7 v2 outbound in the receiver's character set (MSH-18, bytes on the wire)",
  { skip: await mysqlMissing() },
  () => {
    let db: TestDatabase;
    let sql: mysql.Connection;
    let store: ResourceStore;
    let fhir: ReturnType<typeof fhirWriter>;
    let worker: OutboundWorker;
    const latin = new BytePeer();
    const utf = new BytePeer();
    const rows = async (q: string, p: unknown[] = []) => (await sql.query<mysql.RowDataPacket[]>(q, p))[0];

    before(async () => {
      db = await createTestDatabase('mysql', 'nilecare_interop');
      await migrateDatabase({ engine: 'mysql', database: 'nilecare_interop', connection: { url: db.url } });
      sql = await mysql.createConnection({ uri: db.url, dateStrings: true });
      store = await openPgliteTestStore();
      fhir = fhirWriter(store);
      const [latinPort, utfPort] = [await latin.start(), await utf.start()];
      await sql.query(
        `INSERT INTO interface_configs (id, name, direction, protocol, host, port, character_encoding, timeout_ms, max_retries, retry_backoff_ms)
       VALUES ('ep-latin', 'old-lab', 'outbound', 'mllp', '127.0.0.1', ?, '8859/1', 2000, 5, 20)`,
        [latinPort],
      );
      await sql.query(
        `INSERT INTO interface_configs (id, name, direction, protocol, host, port, timeout_ms, max_retries, retry_backoff_ms)
       VALUES ('ep-utf', 'new-emr', 'outbound', 'mllp', '127.0.0.1', ?, 2000, 5, 20)`,
        [utfPort],
      );
      worker = new OutboundWorker({
        store,
        mysqlUrl: db.url,
        startAt: 'start',
        pollIntervalMs: 20,
        reloadEndpointsMs: 100,
      }).start();
    });
    after(async () => {
      await worker?.stop();
      await latin.stop();
      await utf.stop();
      await sql?.end();
      await store?.close();
      await db?.drop();
    });

    it('sends é to an 8859/1 receiver as one byte with MSH-18 8859/1, and UTF-8 (MSH-18 UNICODE UTF-8) by default', async () => {
      await fhir.put(patient('p1', 'MRN-1', 'Nur', 'Amélie'));
      const [l] = await waitFor('8859/1 frame', () => latin.of('MRN-1').length > 0 && latin.of('MRN-1'));
      const [u] = await waitFor('UTF-8 frame', () => utf.of('MRN-1').length > 0 && utf.of('MRN-1'));
      assert.ok(l!.includes(Buffer.from('Am\xe9lie', 'latin1')) && !l!.includes(Buffer.from('é', 'utf8')));
      assert.equal(parseMessage(l!.toString('latin1')).get('MSH-18'), '8859/1');
      assert.ok(u!.includes(Buffer.from('Amélie', 'utf8')));
      assert.equal(parseMessage(u!.toString('utf8')).get('MSH-18'), 'UNICODE UTF-8');
    });

    it('refuses an Arabic name to the 8859/1 receiver at once (dead letter, clear reason, patient held); sends it after the endpoint is set to UTF-8 and the dead letter retried', async () => {
      await fhir.put(patient('p2', 'MRN-2', 'الطيب', 'محمد'));
      const [u] = await waitFor('UTF-8 receiver got it', () => utf.of('MRN-2').length > 0 && utf.of('MRN-2'));
      assert.equal(parseMessage(u!.toString('utf8')).get('PID-5.2'), 'محمد');
      const dead = await waitFor(
        'dead letter for old-lab',
        async () =>
          (
            await rows(
              `SELECT q.message_id, q.attempts, q.last_error, m.status FROM message_queue q JOIN hl7_messages m ON m.id = q.message_id
             WHERE q.status = 'dead_letter' AND q.interface_config_id = 'ep-latin'`,
            )
          )[0],
      );
      assert.equal(dead.attempts, 1, 'no retry can help: dead at the first attempt');
      assert.equal(dead.status, 'error');
      assert.match(dead.last_error, /PID-5 holds "ا" \(U\+0627\), which 8859\/1 cannot represent/);
      assert.match(dead.last_error, /old-lab/);
      // The next change of that patient waits behind the dead letter; nothing of MRN-2 reached the Latin-1 receiver.
      await fhir.put(patient('p2', 'MRN-2', 'Altayeb', 'Mohamed'));
      await waitFor('UTF-8 receiver got the update', () => utf.of('MRN-2').length === 2);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(latin.of('MRN-2').length, 0);

      await sql.query("UPDATE interface_configs SET character_encoding = 'UTF-8' WHERE id = 'ep-latin'");
      await worker.reloadEndpoints();
      assert.equal(await worker.retryDeadLetter(dead.message_id), true);
      const got = await waitFor(
        'both MRN-2 messages at old-lab',
        () => latin.of('MRN-2').length === 2 && latin.of('MRN-2'),
      );
      const first = parseMessage(got[0]!.toString('utf8'));
      assert.deepEqual(
        [first.get('MSH-18'), first.get('PID-5.1'), first.get('PID-5.2')],
        ['UNICODE UTF-8', 'الطيب', 'محمد'],
      );
      assert.equal(parseMessage(got[1]!.toString('utf8')).get('PID-5.1'), 'Altayeb');
      const log = await rows(
        `SELECT l.message FROM hl7_message_logs l WHERE l.message_id = ? AND l.message LIKE 'sent to%'`,
        [dead.message_id],
      );
      assert.ok(log.some((r) => /in UNICODE UTF-8 \(MSH-18 set to the endpoint's character set\)/.test(r.message)));
    });
    it('npm run hl7:endpoints -- set --charset 8859/1: the next message to that endpoint is sent in 8859/1', async () => {
      const err: string[] = [];
      const code = await runCli(
        { name: 'hl7:endpoints', helpCommand: 'npm run hl7:endpoints -- --help', help: HL7_ENDPOINTS_HELP },
        ['set', '--name', 'new-emr', '--charset', '8859/1'],
        (a, io) => hl7Endpoints(a, io, { INTEROP_MYSQL_URL: db.url }),
        { out: () => undefined, err: (l) => void err.push(l) },
      );
      assert.equal(code, 0, err.join('\n'));
      await worker.reloadEndpoints(); // a running server re-reads within 30 s
      await fhir.put(patient('p3', 'MRN-3', 'Nur', 'Zoé'));
      const [f] = await waitFor('8859/1 frame at new-emr', () => utf.of('MRN-3').length > 0 && utf.of('MRN-3'));
      assert.ok(f!.includes(Buffer.from('Zo\xe9', 'latin1')) && !f!.includes(Buffer.from('é', 'utf8')));
      assert.equal(parseMessage(f!.toString('latin1')).get('MSH-18'), '8859/1');
    });
  },
);
