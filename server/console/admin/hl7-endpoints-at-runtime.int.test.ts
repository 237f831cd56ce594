/**
 * An outbound HL7 endpoint added at runtime (issue 26 item 2: "today only an SQL insert plus a restart"): the real
 * app on PGlite with startHl7 on a throw-away nilecare_interop that has NO outbound endpoint at start, HL7_OUTBOUND
 * unset. The endpoint is added through the console's admin API (HTTP, NILECARE_AUTH=disabled so the API is open);
 * a Patient created over REST afterwards reaches the test MLLP peer well inside the worker's 30 s reload period,
 * without a restart. Disabling it stops the sending; bad input is a 400, a second endpoint of the same name a 409.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createTestDatabase, type TestDatabase } from '../../migrate/testing/test-databases.js';
import { migrateDatabase } from '../../migrate/migrate.js';
import { loadConfig } from '../../config.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { openPgliteTestStore } from '../../store/postgres/testing/pglite-template.js';
import type { ResourceStore } from '../../store/resource-store.js';
import { startHl7, type Hl7Runtime } from '../../hl7-wiring.js';
import { FakePeer } from '../../../adapters/hl7v2/outbound/testing/fake-peer.js';
import { mysqlMissing } from '../../testing/mysql-missing.js';

async function waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('outbound HL7 endpoint added from the console at runtime', { skip: await mysqlMissing() }, () => {
  let db: TestDatabase;
  let store: ResourceStore;
  let server: TestServer;
  let hl7: Hl7Runtime | undefined;
  const peer = new FakePeer();
  const env = () => ({ MLLP_PORT: '0', INTEROP_MYSQL_URL: db.url, NILECARE_AUTH: 'disabled', LOG_LEVEL: 'silent' });
  const api = async (path: string, method = 'GET', body?: unknown) => {
    const res = await fetch(`${new URL(server.baseUrl).origin}/console/api/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  };
  const createPatient = async (mrn: string) => {
    const r = await server.fhir('/Patient', {
      method: 'POST',
      body: { resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.3', value: mrn }], name: [{ family: mrn }] },
    });
    assert.equal(r.status, 201);
  };

  before(async () => {
    db = await createTestDatabase('mysql', 'nilecare_interop');
    await migrateDatabase({ engine: 'mysql', database: 'nilecare_interop', connection: { url: db.url } });
    await peer.start(0);
    store = await openPgliteTestStore();
    server = await startTestServer(store, { env: env() });
    hl7 = await startHl7(loadConfig(env()), server.app, pino({ level: 'silent' }), {});
    server.app.attachRuntime({ ...(hl7 ? { hl7 } : {}) });
  });
  after(async () => {
    await hl7?.close();
    await server?.close();
    await peer.stop();
    await store?.close();
    await db?.drop();
  });

  it('no endpoint at start: delivery still runs; the endpoint added in the console gets the next change at once', async () => {
    assert.ok(hl7?.outbound, 'outbound delivery runs with no endpoint configured (HL7_OUTBOUND unset)');
    assert.deepEqual((await api('hl7/endpoints')).body, []);
    await createPatient('BEFORE-ANY-ENDPOINT');
    await waitFor('planning caught up', async () => (await hl7!.outbound!.status()).lagChanges === 0, 20_000);

    const added = await api('hl7/endpoints', 'POST', {
      name: 'lab',
      host: '127.0.0.1',
      port: peer.listeningPort,
      messageTypes: ['adt'],
      receivingApplication: 'LAB',
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.deepEqual(added.body, {
      name: 'lab',
      host: '127.0.0.1',
      port: peer.listeningPort,
      tls: false,
      active: true,
      messageTypes: ['ADT'],
      receivingApplication: 'LAB',
    });
    const started = Date.now();
    await createPatient('AFTER-ADD');
    // well inside the 30 s period of the worker's own reload: the console made it re-read at once
    await waitFor('the A28 at the peer', () => peer.accepted('AFTER-ADD').length === 1, 15_000);
    assert.ok(Date.now() - started < 15_000);
    assert.equal(peer.accepted('AFTER-ADD')[0]!.type, 'ADT^A28');
    assert.equal(peer.accepted('AFTER-ADD')[0]!.message.get('MSH-5'), 'LAB');
    assert.equal(peer.accepted('BEFORE-ANY-ENDPOINT').length, 0, 'changes before the endpoint existed are not sent');
  });

  it('bad input is a 400 naming the field, a taken name a 409; nothing is added', async () => {
    for (const [body, pattern] of [
      [{ name: 'x', host: '127.0.0.1' }, /port is required/],
      [{ name: 'x', host: '127.0.0.1', port: 70000 }, /port must be 1 to 65535/],
      [{ name: 'x', host: 'a b', port: 1 }, /host/],
      [{ name: '', host: 'h', port: 1 }, /name/],
      [{ name: 'x', host: 'h', port: 1, messageTypes: ['ADT^A01;DROP'] }, /message types/],
    ] as const) {
      const r = await api('hl7/endpoints', 'POST', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.issue[0].diagnostics, pattern);
    }
    const malformed = await api('hl7/endpoints', 'POST', '{"name":');
    assert.equal(malformed.status, 400);
    assert.match(malformed.body.issue[0].diagnostics, /not valid JSON/);
    const twice = await api('hl7/endpoints', 'POST', { name: 'lab', host: '127.0.0.1', port: 1 });
    assert.equal(twice.status, 409);
    assert.deepEqual(
      (await api('hl7/endpoints')).body.map((e: { name: string }) => e.name),
      ['lab'],
    );
  });

  it('disabled in the console: the next change is not sent there; enabled again: it is', async () => {
    const off = await api('hl7/endpoints/lab', 'POST', { active: false });
    assert.equal(off.status, 200);
    assert.equal(off.body.active, false);
    await createPatient('WHILE-DISABLED');
    await waitFor('planning caught up', async () => (await hl7!.outbound!.status()).lagChanges === 0, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(peer.accepted('WHILE-DISABLED').length, 0);
    assert.equal((await api('hl7/endpoints/nope', 'POST', { active: true })).status, 404);
    assert.equal((await api('hl7/endpoints/lab', 'POST', { active: 'yes' })).status, 400);

    assert.equal((await api('hl7/endpoints/lab', 'POST', { active: true })).status, 200);
    await createPatient('ENABLED-AGAIN');
    await waitFor('the A28 at the peer', () => peer.accepted('ENABLED-AGAIN').length === 1, 15_000);
  });

  it('character set and processing ids set through the API: a bad value is a 400 saying why, an unknown name a 404; nothing changed', async () => {
    const lab = async () => (await api('hl7/endpoints')).body.find((e: { name: string }) => e.name === 'lab');
    for (const [body, pattern] of [
      [{ characterEncoding: 'KOI8-R' }, /character set "KOI8-R" cannot be sent over MLLP: use UTF-8, 8859\/1/],
      [{ characterEncoding: '' }, /a character set \(such as UTF-8 or 8859\/1\) is required/],
      [{ characterEncoding: '8859/1', active: true }, /Change active on its own/],
      [{ processingIds: ['P', 'X'] }, /processing ids \(MSH-11\) are P, T and\/or D, such as P,T \(got X\)/],
    ] as const) {
      const r = await api('hl7/endpoints/lab', 'POST', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.issue[0].diagnostics, pattern);
    }
    assert.equal((await lab()).characterEncoding, undefined, 'still UTF-8');
    const none = await api('hl7/endpoints/nope', 'POST', { characterEncoding: '8859/1' });
    assert.equal(none.status, 404);
    assert.equal(none.body.resourceType, 'OperationOutcome');
    // processing ids belong to inbound interfaces: lab is outbound only
    assert.equal((await api('hl7/endpoints/lab', 'POST', { processingIds: 'P,T' })).status, 404);

    const ok = await api('hl7/endpoints/lab', 'POST', { characterEncoding: '8859/1' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await lab()).characterEncoding, '8859/1');
    assert.equal((await api('hl7/endpoints/lab', 'POST', { characterEncoding: 'UTF-8' })).status, 200);
    assert.equal((await lab()).characterEncoding, undefined);
  });

  it('users and client applications say why they are unavailable without SMART sign-in (503)', async () => {
    const users = await api('users');
    assert.equal(users.status, 503);
    assert.match(users.body.issue[0].diagnostics, /NILECARE_AUTH=disabled/);
    assert.equal((await api('clients')).status, 503);
  });
});
