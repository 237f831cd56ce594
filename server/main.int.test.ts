/**
 * The server as `npm start` runs it: a real process on the embedded PGlite store. Data survives a restart,
 * SIGTERM lets in-flight requests finish, and bad configuration stops it with a clear message.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killStartedServers, startServerProcess as start, waitReady } from './testing/server-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'nilecare-main-'));
describe('npm start: the server process on the embedded store', () => {
  after(() => {
    // Never leave a server behind, whatever failed.
    killStartedServers();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps data across a restart and finishes in-flight requests on SIGTERM', async () => {
    const port = await freePort();
    const env = {
      PORT: String(port),
      PGLITE_DATA_DIR: dataDir,
      NILECARE_AUTH: 'disabled',
      EXPORT_DIR: join(dataDir, 'exports'),
      MLLP_PORT: '-1',
    };
    const base = `http://127.0.0.1:${port}`;
    const first = start(env);
    await waitReady(base, first);
    // The log line travels through a pipe: it may arrive a moment after /readyz answers.
    for (let i = 0; i < 50 && !/AUTHORISATION IS DISABLED/.test(first.output()); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.match(first.output(), /AUTHORISATION IS DISABLED/, 'the development setting is announced');
    // The operations console is served; without an authorisation server it skips sign-in and its admin API is open.
    assert.equal((await fetch(`${base}/console/`)).status, 200);
    assert.equal(((await (await fetch(`${base}/console/config.json`)).json()) as { signIn: string }).signIn, 'none');
    const health = (await (await fetch(`${base}/console/api/health`)).json()) as Array<{
      component: string;
      ok: boolean;
    }>;
    assert.deepEqual(
      health.map((c) => [c.component, c.ok]),
      [['store', true]],
      'only the store is configured here (MLLP off, no auth, no rate limit)',
    );
    const created = await fetch(`${base}/fhir/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Durable' }] }),
    });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: string };

    const inFlight = fetch(`${base}/fhir/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'InFlight' }] }),
    });
    await new Promise((r) => setTimeout(r, 5));
    first.child.kill('SIGTERM');
    const answered = await inFlight;
    assert.equal(answered.status, 201, 'the request that was running when SIGTERM came was answered');
    const inFlightId = ((await answered.json()) as { id: string }).id;
    assert.equal(await first.exited, 0);
    assert.match(first.output(), /stopped/);

    const second = start(env);
    await waitReady(base, second);
    const read = await fetch(`${base}/fhir/Patient/${id}`);
    assert.equal(read.status, 200);
    assert.equal(((await read.json()) as { name: Array<{ family: string }> }).name[0]!.family, 'Durable');
    assert.equal((await fetch(`${base}/fhir/Patient/${inFlightId}`)).status, 200, 'the in-flight write was durable');
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
  });

  it('refuses to start on bad configuration, naming the variable', async () => {
    const bad = start({ NILECARE_STORE: 'postgres', PORT: 'eighty' });
    const code = await bad.exited;
    assert.equal(code, 2);
    assert.match(bad.output(), /DATABASE_URL/);
    assert.match(bad.output(), /PORT/);
  });
});
