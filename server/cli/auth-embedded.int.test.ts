/**
 * `npm run auth` on the embedded default (no AUTH_MYSQL_URL / REDIS_URL): users and clients live in the server's
 * PGlite folder, which admits one process. Real processes, as a user runs them:
 * - no server running: the command opens the folder itself (add-user, register-backend, list-*);
 * - `npm start` running (it holds the folder): the command goes through the server's admin API with the local admin
 *   token the server wrote beside the folder (owner-only file), and the change applies at once — the user added
 *   and the backend registered before the start are the server's (the backend gets a token from it, as the README
 *   shows); passwords, roles and clients changed from the CLI are what the server serves; a removed client gets no
 *   token at once; the admin API refuses any other token.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  killStartedServers,
  startServerProcess,
  waitReady,
  type ServerProcess,
} from '../testing/server-process.js';

type Run = { status: number | null; stdout: string; stderr: string };

describe('npm run auth on the embedded default', () => {
  let dir: string;
  let env: Record<string, string>;
  let server: ServerProcess | undefined;
  let base: string;
  const auth = (...argv: string[]): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/auth.ts', ...argv], {
        env: { ...process.env, ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nilecare-auth-embedded-first-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      PGLITE_DATA_DIR: join(dir, 'data'),
      AUTH_KEYS_DIR: join(dir, 'auth'),
      MLLP_PORT: '-1',
      // empty = unset (server/config.ts): the embedded default even when the test machine exports them
      AUTH_MYSQL_URL: '',
      REDIS_URL: '',
      NILECARE_STORE: '',
      INTEROP_MYSQL_URL: '',
    };
  });
  after(async () => {
    killStartedServers();
    await server?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it('without a server the command opens the folder itself (and leaves it free)', async () => {
    let r = await auth('add-user', '--username', 'drsara', '--email', 'sara@example.sd', '--role', 'doctor');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).role, 'doctor');
    r = await auth(
      'register-backend',
      '--client-id',
      'svc',
      '--scope',
      'system/*.rs',
      '--key-out',
      join(dir, 'svc.json'),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(statSync(join(dir, 'svc.json')).mode & 0o777, 0o600);
    r = await auth('list-users');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^drsara\s+doctor\s+active\s/m);
    r = await auth('add-user', '--username', 'drsara', '--email', 'other@example.sd', '--role', 'nurse');
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^auth: .*already exists/);
    assert.equal(existsSync(`${join(dir, 'data')}.lock`), false, 'the folder is free again');
  });

  it('with the server running, commands go through it and apply at once', async () => {
    server = startServerProcess(env);
    await waitReady(base, server);
    const adminFile = `${join(dir, 'data')}.admin.json`;
    assert.equal(statSync(adminFile).mode & 0o777, 0o600, 'the local admin token is owner-only');

    // the backend registered before the start gets a token from the running server, as the README shows
    let r = await auth('token', '--key', join(dir, 'svc.json'));
    assert.equal(r.status, 0, r.stderr);
    const token = r.stdout.trim();
    assert.equal((await fetch(`${base}/fhir/Patient`, { headers: { authorization: `Bearer ${token}` } })).status, 200);

    // (no initial admin: the first start creates `admin` only on an empty user table, and drsara was added before)
    assert.equal(existsSync(join(dir, 'auth', 'initial-admin-password')), false);
    await writeFile(join(dir, 'new-password'), 'a new password 1234\n');
    r = await auth('set-password', '--username', 'drsara', '--password-file', join(dir, 'new-password'));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'password of drsara changed');
    r = await auth('set-password', '--username', 'drsara', '--generate');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^password of drsara: \S{16}\n$/);

    r = await auth(
      'register-client',
      '--json',
      JSON.stringify({
        client_id: 'my-app',
        client_name: 'My app',
        token_endpoint_auth_method: 'none',
        redirect_uris: ['http://localhost:3000/callback'],
        scope: 'openid fhirUser launch/patient offline_access patient/*.rs',
      }),
    );
    assert.equal(r.status, 0, r.stderr);
    r = await auth('list-clients');
    assert.match(r.stdout, /^my-app\s+app \(public, PKCE\)/m);
    assert.match(r.stdout, /^svc\s+backend service/m);
    r = await auth('set-role', '--username', 'drsara', '--role', 'nurse');
    assert.equal(r.status, 0, r.stderr);
    r = await auth('list-users');
    assert.match(r.stdout, /^drsara\s+nurse\s+active\s/m);
    r = await auth('set-role', '--username', 'nobody', '--role', 'nurse');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^auth: no user "nobody"/);
    r = await auth('remove-client', '--client-id', 'svc');
    assert.equal(r.status, 0, r.stderr);
    r = await auth('token', '--key', join(dir, 'svc.json'));
    assert.equal(r.status, 1, 'a removed client gets no new token at once');

    // the admin API takes the token from the file, and nothing else
    const { token: local, url } = JSON.parse(await readFile(adminFile, 'utf8')) as { token: string; url: string };
    assert.equal(url, base);
    const users = await fetch(`${base}/console/api/users`, { headers: { authorization: `Bearer ${local}` } });
    assert.equal(users.status, 200);
    const forged = await fetch(`${base}/console/api/users`, { headers: { authorization: `Bearer ${local}x` } });
    assert.equal(forged.status, 401);
    assert.equal(server.child.exitCode, null);
  });

  it('after the server stops the token file is gone and the command opens the folder again', async () => {
    server!.child.kill('SIGTERM');
    await server!.exited;
    assert.equal(existsSync(`${join(dir, 'data')}.admin.json`), false);
    const r = await auth('list-clients');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^my-app\s/m);
    assert.doesNotMatch(r.stdout, /^svc\s/m);
  });
});
