/**
 * Issue 18's "done when", as far as it is done: `npm start` in a network namespace that has only its own loopback
 * (root can `unshare -n`), so no MariaDB, Redis or anything else of this machine is reachable; there it serves FHIR
 * and the SMART sign-in with a token. (MLLP is not checked: the HL7 message log still needs MySQL — not done.)
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
      'serves FHIR and SMART sign-in with nothing else reachable',
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
    it('no MariaDB, no Redis; FHIR and a SMART token all the same', async () => {
      assert.equal(await reachable(3306), false, 'MariaDB is out of reach');
      assert.equal(await reachable(6379), false, 'Redis is out of reach');
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const password = 'offline-admin-password-1';
      const server = startServerProcess({
        PORT: String(port),
        PGLITE_DATA_DIR: join(dir, 'pglite'),
        AUTH_KEYS_DIR: join(dir, 'auth'),
        EXPORT_DIR: join(dir, 'exports'),
        NILECARE_ADMIN_PASSWORD: password,
        AUTH_MYSQL_URL: '',
        REDIS_URL: '',
        INTEROP_MYSQL_URL: '',
      });
      await waitReady(base, server);
      // HL7 v2 falls back to the local MySQL, which is unreachable here: the server says why and serves the rest.
      await waitForOutput(
        server,
        /HL7 v2 is OFF: HL7 v2 message log \(nilecare_interop\): cannot reach 127\.0\.0\.1:3306/,
      );
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
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
    });
  });
}
