/**
 * `npm start` on the embedded default (issue 18 item 1): no AUTH_MYSQL_URL, no REDIS_URL — the SMART users, refresh
 * tokens, audit rows, sessions and grants live in the PGlite folder beside the FHIR data. A fresh folder starts and
 * signs a user in; a restart keeps the data, the user and the issued token; a second process on the same folder is
 * refused with a clear message; kill -9 loses no acknowledged write.
 * (HL7 v2 is turned off here: its message log still needs MySQL — issue 18, not done.)
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  killStartedServers,
  startServerProcess,
  waitForOutput,
  waitReady,
} from './testing/server-process.js';
import { Browser, authorizeUrl, exchangeCode, pkce, signInAndConsent } from './auth/testing/browser.js';
import { CONSOLE_CLIENT_ID } from './console/console-client.js';

const dataDir = mkdtempSync(join(tmpdir(), 'nilecare-embedded-'));
const PASSWORD = 'embedded-admin-password-1';

describe('npm start on the embedded default: nothing but Node', async () => {
  after(() => {
    killStartedServers();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Only what a new user would set: where the data folder is. No MySQL, no Redis URL (and none inherited).
  const env: Record<string, string> = {
    PORT: String(port),
    PGLITE_DATA_DIR: join(dataDir, 'pglite'),
    AUTH_KEYS_DIR: join(dataDir, 'auth'),
    EXPORT_DIR: join(dataDir, 'exports'),
    NILECARE_ADMIN_PASSWORD: PASSWORD,
    MLLP_PORT: '-1',
    AUTH_MYSQL_URL: '',
    REDIS_URL: '',
    INTEROP_MYSQL_URL: '',
  };
  let token = '';
  let patientId = '';

  async function signIn(): Promise<string> {
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
    const { redirect, lastHtml } = await signInAndConsent(new Browser(), url, redirectUri, {
      login: 'admin',
      password: PASSWORD,
    });
    const code = redirect?.searchParams.get('code');
    assert.ok(code, `signed in and got a code (${redirect?.toString() ?? lastHtml?.slice(0, 500)})`);
    const { status, body } = await exchangeCode(base, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: CONSOLE_CLIENT_ID,
      code_verifier: verifier,
    });
    assert.equal(status, 200, JSON.stringify(body));
    return String(body['access_token']);
  }
  const authed = (t: string) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/fhir+json' });

  it('starts on a fresh folder, says what is embedded, and a user signs in and gets a token that reads FHIR', async () => {
    const first = startServerProcess(env);
    await waitReady(base, first);
    await waitForOutput(first, /"components"/);
    assert.match(first.output(), /"smart-users":"embedded: schema nilecare_auth in pglite/);
    assert.match(first.output(), /"shared-state":"embedded: schema nilecare_state in pglite/);
    assert.doesNotMatch(first.output(), /ECONNREFUSED/);
    assert.equal((await fetch(`${base}/fhir/Patient`)).status, 401, 'SMART is on');
    token = await signIn();
    const created = await fetch(`${base}/fhir/Patient`, {
      method: 'POST',
      headers: authed(token),
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'محمد', given: ['Embedded'] }] }),
    });
    assert.equal(created.status, 201);
    patientId = ((await created.json()) as { id: string }).id;

    // A second process on the same folder is refused, clearly, and the first keeps serving.
    const second = startServerProcess({ ...env, PORT: String(await freePort()) });
    assert.equal(await second.exited, 1);
    assert.match(second.output(), /The embedded database .*pglite is in use by process \d+ on /);
    assert.equal((await fetch(`${base}/fhir/Patient/${patientId}`, { headers: authed(token) })).status, 200);

    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
  });

  it('restarts on the same folder: data, users and the issued token are still there', async () => {
    const again = startServerProcess(env);
    await waitReady(base, again);
    const read = await fetch(`${base}/fhir/Patient/${patientId}`, { headers: authed(token) });
    assert.equal(read.status, 200, 'the token issued before the restart is still valid (its grant is kept embedded)');
    assert.doesNotMatch(again.output(), /created the first user/, 'the admin of the first start was kept');
    assert.ok(await signIn(), 'the same user signs in again');
    again.child.kill('SIGTERM');
    assert.equal(await again.exited, 0);
  });

  it('kill -9 while writing loses no acknowledged write', async () => {
    const crashing = startServerProcess(env);
    await waitReady(base, crashing);
    const acknowledged: string[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await fetch(`${base}/fhir/Patient`, {
            method: 'POST',
            headers: authed(token),
            body: JSON.stringify({ resourceType: 'Patient', name: [{ family: `Crash${w}-${i}` }] }),
          });
          if (res.status === 201) acknowledged.push(((await res.json()) as { id: string }).id);
        } catch {
          return; // the server is gone
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    while (acknowledged.length < 20) await new Promise((r) => setTimeout(r, 20));
    crashing.child.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await crashing.exited;

    const after = startServerProcess(env);
    await waitReady(base, after);
    for (const id of acknowledged) {
      const res = await fetch(`${base}/fhir/Patient/${id}`, { headers: authed(token) });
      assert.equal(res.status, 200, `acknowledged Patient/${id} survived kill -9`);
    }
    after.child.kill('SIGTERM');
    assert.equal(await after.exited, 0);
  });
});
