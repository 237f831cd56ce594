/**
 * startHl7 on the real app (createApp over a PGlite store, HTTP through node:http): with an outbound endpoint in
 * interface_configs the worker starts by itself; a Patient created over REST reaches the peer as ADT^A28, a Patient
 * that came in over MLLP from that same application is not echoed back to it; HL7_OUTBOUND=off keeps it off.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import mysql from 'mysql2/promise';
import { pino } from 'pino';
import { createTestDatabase, type TestDatabase } from './migrate/testing/test-databases.js';
import { migrateDatabase } from './migrate/migrate.js';
import { loadConfig } from './config.js';
import { startTestServer, type TestServer } from './testing/test-server.js';
import { openPgliteTestStore } from './store/postgres/testing/pglite-template.js';
import type { ResourceStore } from './store/resource-store.js';
import { startHl7, type Hl7Runtime } from './hl7-wiring.js';
import { FakePeer } from '../adapters/hl7v2/outbound/testing/fake-peer.js';
import { sendOnce } from '../adapters/hl7v2/mllp/mllp-client.js';
import { parseMessage } from '../adapters/hl7v2/parser/parse-message.js';
import { mysqlMissing } from './testing/mysql-missing.js';

async function waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('startHl7: inbound listener and outbound delivery with the real app', { skip: await mysqlMissing() }, () => {
  let db: TestDatabase;
  let store: ResourceStore;
  let server: TestServer;
  let hl7: Hl7Runtime | undefined;
  const peer = new FakePeer();
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const env = () => ({ MLLP_PORT: '0', INTEROP_MYSQL_URL: db.url, NILECARE_AUTH: 'disabled', LOG_LEVEL: 'silent' });

  before(async () => {
    db = await createTestDatabase('mysql', 'nilecare_interop');
    await migrateDatabase({ engine: 'mysql', database: 'nilecare_interop', connection: { url: db.url } });
    await peer.start(0);
    const sql = await mysql.createConnection({ uri: db.url });
    await sql.query(
      `INSERT INTO interface_configs (name, direction, protocol, host, port, receiving_application, retry_backoff_ms, timeout_ms)
       VALUES ('lab-system', 'bidirectional', 'mllp', '127.0.0.1', ?, 'LAB', 50, 2000)`,
      [peer.listeningPort],
    );
    await sql.end();
    store = await openPgliteTestStore();
    server = await startTestServer(store, { env: env() });
  });
  after(async () => {
    await hl7?.close();
    await server?.close();
    await peer.stop();
    await store?.close();
    await db?.drop();
  });

  it('stays off with HL7_OUTBOUND=off, and says why a bad value is refused', async () => {
    const off = await startHl7(loadConfig(env()), server.app, logger, { HL7_OUTBOUND: 'off' });
    assert.equal(off?.outbound, undefined);
    await off?.close();
    await assert.rejects(
      startHl7(loadConfig(env()), server.app, logger, { HL7_OUTBOUND: 'yes' }),
      /HL7_OUTBOUND: must be on or off/,
    );
  });

  it('starts outbound delivery by itself when interface_configs has an outbound endpoint; REST changes go out, HL7-borne ones are not echoed', async () => {
    // The worker's first start begins after the changes already in the store.
    hl7 = await startHl7(loadConfig(env()), server.app, logger, {});
    assert.ok(hl7?.outbound, 'outbound running');
    await waitFor('cursor created', async () => {
      const c = await mysql.createConnection({ uri: db.url });
      const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT 1 FROM hl7_outbound_state');
      await c.end();
      return rows.length === 1;
    });
    const ack = parseMessage(
      await sendOnce(
        { host: '127.0.0.1', port: hl7.server.port },
        'MSH|^~\\&|LAB|KTH|NILE|NC|20260301||ADT^A04|IN-1|P|2.5.1\rPID|1||LABMRN^^^KTH^MR||Musa^Ali\rPV1|1|O',
      ),
    );
    assert.equal(ack.get('MSA-1'), 'AA');
    // the message log keeps the versioned references the transaction wrote (from each entry's response.location)
    const sqlLog = await mysql.createConnection({ uri: db.url });
    const [logged] = await sqlLog.query<mysql.RowDataPacket[]>(
      "SELECT fhir_resources FROM hl7_messages WHERE control_id = 'IN-1'",
    );
    await sqlLog.end();
    const written = (
      typeof logged[0]?.['fhir_resources'] === 'string'
        ? JSON.parse(logged[0]['fhir_resources'])
        : logged[0]?.['fhir_resources']
    ) as string[];
    const patientRef = written.find((r) => r.startsWith('Patient/'));
    assert.match(patientRef ?? '', /^Patient\/[^/]+\/_history\/1$/, JSON.stringify(written));
    assert.equal((await server.fhir(`/${patientRef}`)).body.identifier?.[0]?.value, 'LABMRN');
    const created = await server.fhir('/Patient', {
      method: 'POST',
      body: {
        resourceType: 'Patient',
        identifier: [{ system: 'urn:oid:1.2.3', value: 'RESTMRN' }],
        name: [{ family: 'Rest' }],
      },
    });
    assert.equal(created.status, 201);
    await waitFor('A28 for the REST patient', () => peer.accepted('RESTMRN').length === 1);
    assert.equal(peer.accepted('RESTMRN')[0]!.type, 'ADT^A28');
    assert.equal(peer.accepted('RESTMRN')[0]!.message.get('MSH-5'), 'LAB');
    // The inbound patient was committed before the REST one, so it would have been sent first.
    assert.deepEqual(
      peer.received.map((r) => r.mrn),
      ['RESTMRN'],
      'the patient LAB sent us is not sent back to LAB',
    );
    // The peer has the message before the worker has recorded its ACK: wait for the acknowledgement to be committed.
    await waitFor('the A28 acknowledged', async () => (await hl7!.outbound!.status()).pending === 0);
    const s = await hl7.outbound.status();
    assert.deepEqual([s.pending, s.dead, s.endpoints.map((e) => e.name)], [0, 0, ['lab-system']]);
    // The planner's change-feed lag: every committed change planned.
    await waitFor('planning caught up', async () => (await hl7!.outbound!.status()).lagChanges === 0);
    assert.equal((await hl7.outbound.status()).lagSeconds, 0);

    // Prometheus: the inbound message by type and ACK code, and the outbound queue once attached to the app.
    const bad = parseMessage(
      await sendOnce(
        { host: '127.0.0.1', port: hl7.server.port },
        'MSH|^~\\&|LAB|KTH|NILE|NC|20260301||ADT^A04|IN-2|P|2.5.1\rPV1|1|O',
      ),
    );
    assert.notEqual(bad.get('MSA-1'), 'AA', 'an ADT without PID is not accepted');
    server.app.attachRuntime({ hl7 });
    const metrics = await (await fetch(server.baseUrl.replace(/\/fhir$/, '/metrics'))).text();
    assert.match(metrics, /^nilecare_hl7_inbound_messages_total\{type="ADT\^A04",ack="AA"\} 1$/m);
    assert.match(
      metrics,
      new RegExp(`^nilecare_hl7_inbound_messages_total\\{type="ADT\\^A04",ack="${bad.get('MSA-1')}"\\} 1$`, 'm'),
    );
    assert.match(metrics, /^nilecare_hl7_inbound_duration_seconds_count 2$/m);
    assert.match(metrics, /^nilecare_hl7_outbound_messages\{endpoint="lab-system",state="pending"\} 0$/m);
    assert.match(metrics, /^nilecare_hl7_outbound_planning_lag_changes \d+$/m);
    assert.match(metrics, /^nilecare_hl7_outbound_planning_lag_seconds [\d.e+-]+$/m);
  });

  it('close() stops the listener and the worker', async () => {
    const port = hl7!.server.port;
    await hl7!.close();
    hl7 = undefined;
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port }, () => {
          s.destroy();
          resolve(undefined);
        });
        s.once('error', reject);
      }),
      /ECONNREFUSED/,
    );
  });
});
