/**
 * Two server processes on one PostgreSQL store, with shared Redis (SMART sessions, grants, revoked tokens) and shared
 * MySQL (nilecare_auth, nilecare_interop), behind a round-robin HTTP proxy (a few lines of node:http below), as a
 * second node would run behind a load balancer (issue 18 item 6). Checked: writes and searches across nodes;
 * conditional creates racing through both nodes with exactly one winner; a SMART sign-in whose steps land on
 * alternating nodes, and its token valid on each node; a bulk export started on one node, polled and downloaded on
 * the other (EXPORT_DIR a shared folder); each relational projection delivered by exactly one node (a lease in its
 * target database), taken over by the other after kill -9 of the holder while writes go on, every change projected
 * exactly once in effect; HL7 outbound delivery run by exactly one node (a MySQL named lock), taken over by the other
 * after kill -9 of the holder, with nothing sent twice.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { createTestDatabase, type TestDatabase } from './migrate/testing/test-databases.js';
import { migrateDatabase } from './migrate/migrate.js';
import { mysqlMissing } from './testing/mysql-missing.js';
import {
  freePort,
  killStartedServers,
  startServerProcess,
  waitForOutput,
  waitReady,
  type ServerProcess,
} from './testing/server-process.js';
import { Browser, authorizeUrl, exchangeCode, pkce, signInAndConsent } from './auth/testing/browser.js';
import { CONSOLE_CLIENT_ID } from './console/console-client.js';
import { FakePeer } from '../adapters/hl7v2/outbound/testing/fake-peer.js';
import { createTestTargets, type TestTargets } from '../adapters/outbox/testing/target-databases.js';

type Json = Record<string, any>;

/** Round-robin reverse proxy: request i goes to targets[i % n]; bodies and headers pass through unchanged. */
function roundRobinProxy(targets: () => number[]): Promise<{ server: Server; port: number }> {
  let next = 0;
  const server = createServer((req, res) => {
    const ports = targets();
    const port = ports[next++ % ports.length]!;
    const upstream = request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(e));
    });
    req.pipe(upstream);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ACTIVE = /HL7 outbound planning: this node is the active one/;
const BILLING_ACTIVE = /projection billing: this node is the active one/;

describe(
  'two nodes on one PostgreSQL store behind a round-robin proxy',
  { skip: await mysqlMissing(), timeout: 900_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'nilecare-two-nodes-'));
    const peer = new FakePeer();
    let store: TestDatabase;
    let auth: TestDatabase;
    let interop: TestDatabase;
    let targets: TestTargets;
    let proxy: { server: Server; port: number };
    const nodes: { name: string; port: number; process: ServerProcess; env: Record<string, string> }[] = [];
    let alive = [0, 1];
    let token = '';
    const password = 'two-nodes-admin-password-1';
    const proxied = () => `http://127.0.0.1:${proxy.port}`;
    const direct = (i: number) => `http://127.0.0.1:${nodes[i]!.port}`;
    const fhir = async (
      base: string,
      path: string,
      init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
    ) => {
      const res = await fetch(`${base}/fhir/${path}`, {
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/fhir+json',
          ...(init.body ? { 'content-type': 'application/fhir+json' } : {}),
          ...init.headers,
        },
        ...(init.body ? { body: JSON.stringify(init.body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as Json };
    };

    before(async () => {
      [store, auth, interop, targets] = await Promise.all([
        createTestDatabase('postgres', 'fhir_two_nodes'),
        createTestDatabase('mysql', 'nilecare_auth'),
        createTestDatabase('mysql', 'nilecare_interop'),
        createTestTargets(),
      ]);
      await migrateDatabase({ engine: 'mysql', database: 'nilecare_interop', connection: { url: interop.url } });
      await peer.start(0);
      const sql = await mysql.createConnection({ uri: interop.url });
      await sql.query(
        `INSERT INTO interface_configs (name, direction, protocol, host, port, receiving_application, retry_backoff_ms, timeout_ms)
       VALUES ('lab-system', 'outbound', 'mllp', '127.0.0.1', ?, 'LAB', 50, 2000)`,
        [peer.listeningPort],
      );
      await sql.end();
      proxy = await roundRobinProxy(() => alive.map((i) => nodes[i]!.port));
      for (const name of ['a', 'b']) {
        const port = await freePort();
        const env = {
          PORT: String(port),
          MLLP_PORT: String(await freePort()),
          BASE_URL: `${proxied()}/fhir`,
          NILECARE_STORE: 'postgres',
          DATABASE_URL: store.url,
          AUTH_MYSQL_URL: auth.url,
          INTEROP_MYSQL_URL: interop.url,
          REDIS_URL: 'redis://127.0.0.1:6379',
          HL7_OUTBOUND: 'on',
          AUTH_KEYS_DIR: join(dir, 'auth'),
          EXPORT_DIR: join(dir, 'exports'),
          PGLITE_DATA_DIR: join(dir, `pglite-${name}`),
          NILECARE_ADMIN_PASSWORD: password,
          NILECARE_REINDEX: 'off',
          NILECARE_PROJECTIONS: 'on',
          PROJECTION_BILLING_URL: targets.targets.billingMysqlUrl,
          PROJECTION_LAB_URL: targets.targets.labMysqlUrl,
          PROJECTION_MEDICATION_URL: targets.targets.medicationMysqlUrl,
          PROJECTION_DEVICES_URL: targets.targets.devicesPostgresUrl,
        };
        const node = { name, port, env, process: startServerProcess(env) };
        nodes.push(node);
        // one at a time: the first migrates the databases and creates the admin
        await waitReady(direct(nodes.length - 1), node.process);
      }
    });
    after(async () => {
      killStartedServers();
      proxy?.server.close();
      await peer.stop();
      await Promise.all([store?.drop(), auth?.drop(), interop?.drop(), targets?.drop()]);
      rmSync(dir, { recursive: true, force: true });
    });

    it('signs in with its steps on alternating nodes; the token is valid on each node, a made-up one on none', async () => {
      const base = proxied();
      const { verifier, challenge } = pkce();
      const redirectUri = `${base}/console/`;
      const url = authorizeUrl({
        base,
        fhirBase: `${base}/fhir`,
        clientId: CONSOLE_CLIENT_ID,
        redirectUri,
        scope: 'openid fhirUser user/*.cruds',
        challenge,
      });
      const { redirect } = await signInAndConsent(new Browser(), url, redirectUri, { login: 'admin', password });
      const code = redirect?.searchParams.get('code');
      assert.ok(code);
      const exchanged = await exchangeCode(base, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: CONSOLE_CLIENT_ID,
        code_verifier: verifier,
      });
      assert.equal(exchanged.status, 200);
      token = String(exchanged.body['access_token']);
      for (const i of [0, 1]) assert.equal((await fhir(direct(i), 'Patient?_count=1')).status, 200, `node ${i}`);
      const good = token;
      token = `${good.slice(0, -4)}AAAA`;
      for (const i of [0, 1]) assert.equal((await fhir(direct(i), 'Patient?_count=1')).status, 401, `node ${i}`);
      token = good;
    });

    it('writes through both nodes and finds every write from each node', async () => {
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          fhir(proxied(), 'Patient', {
            method: 'POST',
            body: { resourceType: 'Patient', name: [{ family: 'Zweiknoten', given: [`n${i}`] }] },
          }),
        ),
      );
      assert.deepEqual(
        created.map((r) => r.status),
        Array(20).fill(201),
      );
      for (const i of [0, 1]) {
        const found = await fhir(direct(i), 'Patient?family=Zweiknoten&_count=100&_total=accurate');
        assert.equal(found.body.total, 20, `node ${i}`);
      }
      // an update on one node, read back on the other at its new version
      const id = String(created[0]!.body.id);
      const updated = await fhir(direct(0), `Patient/${id}`, {
        method: 'PUT',
        body: { resourceType: 'Patient', id, name: [{ family: 'Zweiknoten', given: ['changed'] }] },
      });
      assert.equal(updated.status, 200);
      const read = await fhir(direct(1), `Patient/${id}`);
      assert.equal(read.body.meta.versionId, '2');
      assert.equal(read.body.name[0].given[0], 'changed');
    });

    it('conditional creates racing through both nodes: exactly one is created, the others find it', async () => {
      const results = await Promise.all(
        Array.from({ length: 12 }, () =>
          fhir(proxied(), 'Patient', {
            method: 'POST',
            headers: { 'if-none-exist': 'identifier=urn:two-nodes|ONE-1' },
            body: { resourceType: 'Patient', identifier: [{ system: 'urn:two-nodes', value: 'ONE-1' }] },
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 201).length, 1, results.map((r) => r.status).join(','));
      assert.equal(results.filter((r) => r.status === 200).length, 11);
      for (const i of [0, 1])
        assert.equal((await fhir(direct(i), 'Patient?identifier=urn:two-nodes|ONE-1')).body.entry.length, 1);
    });

    it('a bulk export started on one node is polled and downloaded on the other', async () => {
      const kick = await fhir(direct(0), 'Patient/$export', { headers: { prefer: 'respond-async' } });
      assert.equal(kick.status, 202, JSON.stringify(kick.body));
      const location = new URL(kick.headers.get('content-location')!);
      assert.equal(location.origin, proxied(), 'links name the public base');
      const manifest = await waitFor('the export', async () => {
        const res = await fetch(`${direct(1)}${location.pathname}${location.search}`, {
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        });
        if (res.status === 202) return undefined;
        const text = await res.text();
        assert.equal(res.status, 200, text);
        return JSON.parse(text) as Json;
      });
      const patients = (manifest.output as Json[]).find((o) => o.type === 'Patient')!;
      assert.ok(patients.count >= 21);
      for (const i of [0, 1]) {
        const file = new URL(String(patients.url));
        const res = await fetch(`${direct(i)}${file.pathname}${file.search}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(res.status, 200, `file from node ${i}`);
        assert.equal((await res.text()).trim().split('\n').length, patients.count);
      }
    });

    it('one node delivers each projection; after kill -9 of it while writes go on the other takes over and every change is projected exactly once', async () => {
      const holder = await waitFor('one active billing projection node', () => {
        const active = nodes.map((n, i) => (BILLING_ACTIVE.test(n.process.output()) ? i : -1)).filter((i) => i >= 0);
        return active.length === 1 ? active[0] : undefined;
      });
      const other = 1 - holder;
      const billing = await mysql.createConnection({ uri: targets.targets.billingMysqlUrl });
      const rows = async <T>(sql: string, params: unknown[] = []) => (await billing.query(sql, params))[0] as T[];
      try {
        // PUT with an id: a request lost with its node is sent again to the survivor (a new version, same content)
        const put = async (resource: Json) => {
          for (let attempt = 0; ; attempt++) {
            const res = await fhir(proxied(), `${resource.resourceType}/${resource.id}`, {
              method: 'PUT',
              body: resource,
            }).catch((e: unknown) => ({ status: 0, body: { error: String(e) } }));
            if (res.status === 200 || res.status === 201) return;
            if (attempt > 20) assert.fail(`PUT ${resource.id}: ${res.status} ${JSON.stringify(res.body)}`);
            await new Promise((r) => setTimeout(r, 250));
          }
        };
        const patient = { reference: 'Patient/proj-p' };
        await put({ resourceType: 'Patient', id: 'proj-p', name: [{ family: 'Projektion' }] });
        await put({ resourceType: 'Organization', id: 'proj-org', name: 'Ward' });
        await put({ resourceType: 'Account', id: 'proj-acct', status: 'active', subject: [patient] });
        const N = 30;
        const price = (i: number) => 100 * (i + 1);
        const paid = (i: number) => 10 * (i + 1);
        const invoice = (i: number) => ({
          resourceType: 'Invoice',
          id: `proj-inv-${i}`,
          status: 'issued',
          subject: patient,
          issuer: { reference: 'Organization/proj-org' },
          account: { reference: 'Account/proj-acct' },
          date: '2025-05-01',
          lineItem: [
            {
              sequence: 1,
              chargeItemCodeableConcept: { text: 'Ward day' },
              priceComponent: [{ type: 'base', amount: { value: price(i), currency: 'SDG' } }],
            },
          ],
          totalNet: { value: price(i), currency: 'SDG' },
          totalGross: { value: price(i), currency: 'SDG' },
        });
        const payment = (i: number) => ({
          resourceType: 'PaymentReconciliation',
          id: `proj-pay-${i}`,
          status: 'active',
          created: '2025-05-02T09:00:00Z',
          paymentDate: '2025-05-02',
          paymentAmount: { value: paid(i), currency: 'SDG' },
          detail: [
            {
              type: { coding: [{ code: 'payment' }] },
              request: { reference: `Invoice/proj-inv-${i}` },
              amount: { value: paid(i), currency: 'SDG' },
            },
          ],
        });
        // three writers at once, so that the holder has batches in hand when it dies
        let next = 0;
        const writer = async () => {
          for (let i = next++; i < N; i = next++) {
            await put(invoice(i));
            await put(payment(i));
          }
        };
        const writing = Promise.all([writer(), writer(), writer()]);
        await waitFor('the first invoices projected', async () => {
          const [r] = await rows<{ n: number }>("SELECT COUNT(*) AS n FROM invoices WHERE fhir_id LIKE 'proj-inv-%'");
          return Number(r!.n) >= 3 ? true : undefined;
        });
        nodes[holder]!.process.child.kill('SIGKILL');
        await nodes[holder]!.process.exited;
        alive = [other];
        await writing;
        await waitForOutput(nodes[other]!.process, BILLING_ACTIVE, 60_000);
        const expectedPaid = Array.from({ length: N }, (_, i) => paid(i)).reduce((a, b) => a + b, 0);
        await waitFor(
          'every invoice and payment projected',
          async () => {
            const [r] = await rows<{ n: number; paid: number }>(
              "SELECT COUNT(*) AS n, SUM(paid_amount) AS paid FROM invoices WHERE fhir_id LIKE 'proj-inv-%'",
            );
            return Number(r!.n) === N && Number(r!.paid) === expectedPaid ? true : undefined;
          },
          180_000,
        );
        const invoices = await rows<{ fhir_id: string; total_amount: string; paid_amount: string }>(
          "SELECT fhir_id, total_amount, paid_amount FROM invoices WHERE fhir_id LIKE 'proj-inv-%' ORDER BY fhir_id",
        );
        assert.equal(new Set(invoices.map((r) => r.fhir_id)).size, N, 'one row per invoice');
        for (const r of invoices) {
          const i = Number(r.fhir_id.slice('proj-inv-'.length));
          assert.deepEqual([Number(r.total_amount), Number(r.paid_amount)], [price(i), paid(i)], r.fhir_id);
        }
        const allocations = await rows<{ n: number }>(
          "SELECT COUNT(*) AS n FROM invoice_payment_allocations WHERE invoice_id IN (SELECT id FROM invoices WHERE fhir_id LIKE 'proj-inv-%')",
        );
        assert.equal(Number(allocations[0]!.n), N, 'one allocation per payment');
        const [account] = await rows<{ total_charges: string; total_payments: string }>(
          "SELECT total_charges, total_payments FROM billing_accounts WHERE fhir_id = 'proj-acct'",
        );
        assert.equal(Number(account!.total_payments), expectedPaid, 'the account counts every payment once');
        // the version each resource is at in the target is the version FHIR has (the last one, applied once)
        const applied = new Map(
          (
            await rows<{ resource_id: string; version: number }>(
              "SELECT resource_id, version FROM projection_versions WHERE projection = 'billing' AND resource_id LIKE 'proj-%'",
            )
          ).map((r) => [r.resource_id, Number(r.version)]),
        );
        for (let i = 0; i < N; i++)
          for (const path of [`Invoice/proj-inv-${i}`, `PaymentReconciliation/proj-pay-${i}`]) {
            const current = await fhir(direct(other), path);
            assert.equal(applied.get(path.split('/')[1]!), Number(current.body.meta.versionId), path);
          }
        assert.deepEqual(
          await rows("SELECT resource_id FROM projection_dead_letters WHERE projection = 'billing'"),
          [],
          'no dead letter',
        );
      } finally {
        await billing.end();
      }
      // the killed node comes back and stands by (the HL7 test below needs two nodes again)
      nodes[holder]!.process = startServerProcess(nodes[holder]!.env);
      await waitReady(direct(holder), nodes[holder]!.process);
      alive = [0, 1];
    });

    it('one node delivers HL7 outbound; after kill -9 of it the other takes over and nothing is sent twice', async () => {
      const holder = await waitFor('one active outbound node', () => {
        const active = nodes.map((n, i) => (ACTIVE.test(n.process.output()) ? i : -1)).filter((i) => i >= 0);
        return active.length === 1 ? active[0] : undefined;
      });
      const other = 1 - holder;
      const mrn = (s: string) => [{ system: 'urn:two-nodes:mrn', value: s }];
      const first = await fhir(proxied(), 'Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', identifier: mrn('HL7-A'), name: [{ family: 'Outbound' }] },
      });
      assert.equal(first.status, 201);
      await waitFor('the first message at the peer', () =>
        peer.accepted().some((r) => r.mrn.startsWith('HL7-A')) ? true : undefined,
      );
      assert.equal(ACTIVE.test(nodes[other]!.process.output()), false, 'the other node stood by');
      // killed only once the holder has recorded the ACK: a kill between the peer's ACK and its record would make the
      // next holder send that message again (at least once, same control id) — not what this test is about
      await waitFor('every outbound message acknowledged in the log', async () => {
        const c = await mysql.createConnection({ uri: interop.url });
        try {
          const [r] = await c.query<mysql.RowDataPacket[]>(
            "SELECT COUNT(*) AS n FROM hl7_messages WHERE direction = 'outbound' AND status <> 'acknowledged'",
          );
          return Number(r[0]!['n']) === 0 ? true : undefined;
        } finally {
          await c.end();
        }
      });

      nodes[holder]!.process.child.kill('SIGKILL');
      await nodes[holder]!.process.exited;
      alive = [other];
      const second = await fhir(direct(other), 'Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', identifier: mrn('HL7-B'), name: [{ family: 'Outbound' }] },
      });
      assert.equal(second.status, 201);
      await waitForOutput(nodes[other]!.process, ACTIVE, 60_000);
      await waitFor('the second message at the peer', () =>
        peer.accepted().some((r) => r.mrn.startsWith('HL7-B')) ? true : undefined,
      );
      // this test's messages only: the projection test's kill -9 may have caught a message between its send and its
      // recorded ACK, which is then sent again with the same control id (at least once; the receiver dedupes by MSH-10)
      const controlIds = peer
        .accepted()
        .filter((r) => r.mrn.startsWith('HL7-'))
        .map((r) => r.controlId);
      assert.equal(new Set(controlIds).size, controlIds.length, 'no message delivered twice');
      assert.equal(peer.accepted().filter((r) => r.mrn.startsWith('HL7-A')).length, 1);
    });
  },
);
