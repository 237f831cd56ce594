/**
 * Two server processes on one PostgreSQL store, with shared Redis (SMART sessions, grants, revoked tokens) and shared
 * MySQL (nilecare_auth, nilecare_interop), behind a round-robin HTTP proxy (a few lines of node:http below), as a
 * second node would run behind a load balancer (issue 18 item 6). Checked: writes and searches across nodes;
 * conditional creates racing through both nodes with exactly one winner; a SMART sign-in whose steps land on
 * alternating nodes, and its token valid on each node; a bulk export started on one node, polled and downloaded on
 * the other (EXPORT_DIR a shared folder); HL7 outbound delivery run by exactly one node (a MySQL named lock), taken
 * over by the other after kill -9 of the holder, with nothing sent twice.
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

describe(
  'two nodes on one PostgreSQL store behind a round-robin proxy',
  { skip: await mysqlMissing(), timeout: 900_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'nilecare-two-nodes-'));
    const peer = new FakePeer();
    let store: TestDatabase;
    let auth: TestDatabase;
    let interop: TestDatabase;
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
      [store, auth, interop] = await Promise.all([
        createTestDatabase('postgres', 'fhir_two_nodes'),
        createTestDatabase('mysql', 'nilecare_auth'),
        createTestDatabase('mysql', 'nilecare_interop'),
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
      await Promise.all([store?.drop(), auth?.drop(), interop?.drop()]);
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
      const controlIds = peer.accepted().map((r) => r.controlId);
      assert.equal(new Set(controlIds).size, controlIds.length, 'no message delivered twice');
      assert.equal(peer.accepted().filter((r) => r.mrn.startsWith('HL7-A')).length, 1);
    });
  },
);
