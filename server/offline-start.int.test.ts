/**
 * Issue 18's "done when": `npm start` in a network namespace that has only its own loopback (root can `unshare -n`),
 * so no MariaDB, Redis or anything else of this machine is reachable; there it serves FHIR, the SMART sign-in with a
 * token, and HL7 v2 over MLLP with AA (the message log embedded in the PGlite folder), and keeps all of it over a
 * restart.
 * The test re-runs this file inside the namespace; where unshare is not allowed it skips, saying so.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  killStartedServers,
  startServerProcess,
  waitForOutput,
  waitReady,
} from './testing/server-process.js';
import { Browser, authorizeUrl, exchangeCode, pkce, signInAndConsent } from './auth/testing/browser.js';
import { CONSOLE_CLIENT_ID } from './console/console-client.js';
import { sendOnce } from '../adapters/hl7v2/mllp/mllp-client.js';

const INSIDE = process.env.NILECARE_OFFLINE_CHILD === '1';

const reachable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

if (!INSIDE) {
  describe('npm start with no network but its own loopback', () => {
    const allowed = spawnSync('unshare', ['-n', 'true']).status === 0;
    it(
      'serves FHIR, SMART sign-in and MLLP with nothing else reachable',
      { skip: !allowed && 'unshare -n is not allowed here (needs root)' },
      () => {
        const self = fileURLToPath(import.meta.url);
        // A test runner's own child context would make the inner run report to us silently: it runs on its own.
        const { NODE_TEST_CONTEXT: _context, ...outer } = process.env;
        const childEnv = { ...outer, NILECARE_OFFLINE_CHILD: '1' };
        const child = spawnSync(
          'unshare',
          [
            '-n',
            'sh',
            '-c',
            'ip link set lo up && exec "$0" --import tsx --test --test-reporter=tap "$1"',
            process.execPath,
            self,
          ],
          { env: childEnv, encoding: 'utf8', timeout: 600_000 },
        );
        assert.equal(child.status, 0, `inside the namespace:\n${child.stdout}\n${child.stderr}`);
        assert.match(child.stdout, /# pass 1/);
      },
    );
  });
} else {
  describe('inside the namespace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nilecare-offline-'));
    after(() => {
      killStartedServers();
      rmSync(dir, { recursive: true, force: true });
    });
    it('no MariaDB, no Redis; FHIR, a SMART token and an HL7 AA all the same', async () => {
      assert.equal(await reachable(3306), false, 'MariaDB is out of reach');
      assert.equal(await reachable(6379), false, 'Redis is out of reach');
      const port = await freePort();
      const mllpPort = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const password = 'offline-admin-password-1';
      const env = {
        PORT: String(port),
        MLLP_PORT: String(mllpPort),
        PGLITE_DATA_DIR: join(dir, 'pglite'),
        AUTH_KEYS_DIR: join(dir, 'auth'),
        EXPORT_DIR: join(dir, 'exports'),
        NILECARE_ADMIN_PASSWORD: password,
        AUTH_MYSQL_URL: '',
        REDIS_URL: '',
        INTEROP_MYSQL_URL: '',
      };
      let server = startServerProcess(env);
      await waitReady(base, server);
      await waitForOutput(server, /HL7 v2 MLLP listener on/, 60_000);
      await waitForOutput(server, /"hl7-message-log":"embedded: schema nilecare_interop in pglite/);
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
      const token = await exchangeCode(base, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: CONSOLE_CLIENT_ID,
        code_verifier: verifier,
      });
      assert.equal(token.status, 200);
      const created = await fetch(`${base}/fhir/Patient`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${String(token.body['access_token'])}`,
          'content-type': 'application/fhir+json',
        },
        body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Offline' }] }),
      });
      assert.equal(created.status, 201);

      const adt = (controlId: string) =>
        `MSH|^~\\&|LAB|KTH|NILE|NC|20260301120000||ADT^A04^ADT_A01|${controlId}|P|2.5.1\rEVN|A04|20260301120000\r` +
        'PID|1||OFF-77^^^KTH^MR||Offline^Amna||19800101|F\rPV1|1|O';
      const ack = await sendOnce({ host: '127.0.0.1', port: mllpPort, timeoutMs: 60_000 }, adt('OFF-1'));
      assert.match(ack, /MSA\|AA\|OFF-1/);
      const auth = { authorization: `Bearer ${String(token.body['access_token'])}` };
      const found = await fetch(`${base}/fhir/Patient?identifier=OFF-77`, { headers: auth });
      const bundle = (await found.json()) as { total?: number; entry?: unknown[] };
      assert.equal(bundle.entry?.length, 1, 'the ADT wrote its Patient');
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);

      // Restarted on the same folder: the message log kept the message, so a resend is a duplicate (AA, nothing new).
      server = startServerProcess(env);
      await waitReady(base, server);
      await waitForOutput(server, /HL7 v2 MLLP listener on/, 60_000);
      const again = await sendOnce({ host: '127.0.0.1', port: mllpPort, timeoutMs: 60_000 }, adt('OFF-1'));
      assert.match(again, /MSA\|AA\|OFF-1/);
      const still = (await (await fetch(`${base}/fhir/Patient?identifier=OFF-77`, { headers: auth })).json()) as {
        entry?: unknown[];
      };
      assert.equal(still.entry?.length, 1);
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
    });
  });
}
