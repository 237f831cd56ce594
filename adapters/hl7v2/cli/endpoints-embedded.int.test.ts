/**
 * `npm run hl7:endpoints` on the embedded default (no INTEROP_MYSQL_URL): the endpoints live in the server's PGlite
 * folder, which admits one process. Real processes, as a user runs them:
 * - no server running: the command opens the folder itself and leaves it free; the endpoint is used from the start;
 * - `npm start` running (it holds the folder): the command goes through the server's admin API (its local token
 *   beside the folder) and the change applies at once — a new endpoint gets the next change, a disabled one does
 *   not, no restart;
 * - mistakes are one line and exit 1: a name already taken (with the server running or not), no such endpoint.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  killStartedServers,
  startServerProcess,
  waitReady,
  type ServerProcess,
} from '../../../server/testing/server-process.js';
import { FakePeer } from '../outbound/testing/fake-peer.js';

type Run = { status: number | null; stdout: string; stderr: string };

async function until(what: string, probe: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('npm run hl7:endpoints on the embedded default', () => {
  let dir: string;
  let env: Record<string, string>;
  let server: ServerProcess | undefined;
  let base: string;
  const lab = new FakePeer();
  const pharmacy = new FakePeer();
  const endpoints = (...argv: string[]): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'adapters/hl7v2/cli/endpoints.ts', ...argv], {
        env: { ...process.env, ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  const createPatient = async (mrn: string) => {
    const res = await fetch(`${base}/fhir/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Patient',
        identifier: [{ system: 'urn:oid:2.16.840.1.113883.3.9999', value: mrn }],
        name: [{ family: mrn }],
      }),
    });
    assert.equal(res.status, 201);
  };
  const got = (peer: FakePeer, mrn: string) => peer.received.some((m) => m.raw.includes(mrn));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nilecare-hl7-endpoints-embedded-'));
    await lab.start(0);
    await pharmacy.start(0);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      MLLP_PORT: String(await freePort()),
      PGLITE_DATA_DIR: join(dir, 'data'),
      AUTH_KEYS_DIR: join(dir, 'auth'),
      EXPORT_DIR: join(dir, 'exports'),
      NILECARE_AUTH: 'disabled', // the FHIR calls that make changes need no token here; the admin API still does
      // empty = unset (server/config.ts): the embedded default even when the test machine exports them
      INTEROP_MYSQL_URL: '',
      AUTH_MYSQL_URL: '',
      REDIS_URL: '',
      NILECARE_STORE: '',
      HL7_OUTBOUND: '',
    };
  });
  after(async () => {
    killStartedServers();
    await server?.exited;
    await lab.stop();
    await pharmacy.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('without a server the command opens the folder itself (and leaves it free)', async () => {
    let r = await endpoints('add', '--name', 'lab', '--host', '127.0.0.1', '--port', String(lab.listeningPort));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `added lab: mllp://127.0.0.1:${lab.listeningPort}\n`);
    assert.match(r.stderr, /no server running\): used from the next start/);
    r = await endpoints('add', '--name', 'lab', '--host', 'elsewhere', '--port', '1');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^hl7:endpoints: .*already exists/);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, 'one line, no stack trace');
    r = await endpoints('list');
    assert.match(r.stdout, new RegExp(`^lab  mllp://127\\.0\\.0\\.1:${lab.listeningPort}  active  types all$`, 'm'));
    r = await endpoints('set', '--name', 'lab', '--charset', '8859/1');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'changed lab: charset 8859/1\n');
    assert.match((await endpoints('list')).stdout, /^lab {2}.* {2}active {2}types all {2}charset 8859\/1$/m);
    r = await endpoints('set', '--name', 'lab', '--charset', 'KOI8-R');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /character set "KOI8-R" cannot be sent over MLLP/);
    r = await endpoints('set', '--name', 'nope', '--charset', 'ASCII');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^hl7:endpoints: no outbound endpoint named "nope"/);
    assert.match((await endpoints('list')).stdout, /charset 8859\/1$/m, 'unchanged by the refused value');
    assert.equal((await endpoints('set', '--name', 'lab', '--charset', 'UTF-8')).status, 0);
    assert.equal(existsSync(`${join(dir, 'data')}.lock`), false, 'the folder is free again');
  });

  it('with the server running, commands go through it and apply at once', async () => {
    server = startServerProcess(env);
    await waitReady(base, server);
    // the endpoint added before the start gets the server's changes
    await createPatient('MRN-FH-1');
    await until('MRN-FH-1 at the lab', () => got(lab, 'MRN-FH-1'));

    let r = await endpoints(
      'add',
      '--name',
      'pharmacy',
      '--host',
      '127.0.0.1',
      '--port',
      String(pharmacy.listeningPort),
      '--types',
      'ADT',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /uses it at once/);
    r = await endpoints('disable', '--name', 'lab');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'disabled lab\n');
    r = await endpoints('list');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^lab {2}.* {2}disabled {2}types all$/m);
    assert.match(r.stdout, /^pharmacy {2}.* {2}active {2}types ADT$/m);
    r = await endpoints('set', '--name', 'pharmacy', '--charset', '8859/15');
    assert.equal(r.status, 0, r.stderr);
    assert.match((await endpoints('list')).stdout, /^pharmacy {2}.* {2}types ADT {2}charset 8859\/15$/m);
    r = await endpoints('set', '--name', 'nope', '--charset', 'ASCII');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^hl7:endpoints: no outbound endpoint named "nope"/);

    // no restart: the new endpoint gets the next change, the disabled one does not
    await createPatient('MRN-FH-2');
    await until('MRN-FH-2 at the pharmacy', () => got(pharmacy, 'MRN-FH-2'));
    assert.equal(got(lab, 'MRN-FH-2'), false, 'a disabled endpoint is sent nothing');

    r = await endpoints('remove', '--name', 'nope');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^hl7:endpoints: no outbound endpoint named "nope"/);
    r = await endpoints('add', '--name', 'pharmacy', '--host', 'elsewhere', '--port', '1');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^hl7:endpoints: .*already exists/);
    r = await endpoints('remove', '--name', 'pharmacy');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(server.child.exitCode, null, 'the server still runs');
  });

  it('after the server stops the command opens the folder again and sees what was changed through the server', async () => {
    server!.child.kill('SIGTERM');
    await server!.exited;
    const r = await endpoints('list');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^lab {2}.* {2}disabled {2}types all$/m);
    assert.doesNotMatch(r.stdout, /pharmacy/);
    assert.equal(got(lab, 'MRN-FH-2'), false, 'the disabled endpoint was never sent the later change');
  });
});
