/**
 * `npm run auth` on the embedded default (no AUTH_MYSQL_URL / REDIS_URL): the server keeps users and clients in its
 * PGlite folder, which it holds while it runs. The CLI used to fall back to the local MySQL/Redis and silently change
 * a database the server never reads (README first hour, steps 2–4); now it refuses in one line (exit 3) naming the
 * folder and the console Admin page, and changes nothing. Real processes: `npm start` and the CLI as a user runs them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

describe('npm run auth on the embedded default', () => {
  let dir: string;
  let env: Record<string, string>;
  let server: ServerProcess;
  let base: string;
  const auth = (...argv: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/auth.ts', ...argv], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nilecare-auth-embedded-'));
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
    };
    server = startServerProcess(env);
    await waitReady(base, server);
  });
  after(async () => {
    killStartedServers();
    await server?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it('set-password refuses in one line naming the folder and the console, and the admin password is unchanged', async () => {
    const initial = join(dir, 'auth', 'initial-admin-password');
    const before = await readFile(initial, 'utf8');
    await writeFile(join(dir, 'new-password'), 'a new password 1234\n');
    const r = auth('set-password', '--username', 'admin', '--password-file', join(dir, 'new-password'));
    assert.equal(r.status, 3, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^auth: AUTH_MYSQL_URL not set: /);
    assert.ok(lines[0]!.includes(join(dir, 'data')), lines[0]);
    assert.ok(lines[0]!.includes(`${base}/console/`), lines[0]);
    assert.equal(r.stdout, '');
    // the initial password file is deleted by a real set-password: it is still there, with the same password
    assert.equal(await readFile(initial, 'utf8'), before);
  });

  it('register-backend and register-client refuse (REDIS_URL) without writing a key file', () => {
    const keyOut = join(dir, 'svc.json');
    let r = auth('register-backend', '--client-id', 'svc', '--key-out', keyOut);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /^auth: REDIS_URL not set: the server keeps users and clients embedded in /);
    assert.equal(existsSync(keyOut), false);
    r = auth('list-clients');
    assert.equal(r.status, 3, r.stderr);
    r = auth('create-launch', '--patient', 'p1');
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /AUTH_MYSQL_URL and REDIS_URL not set/);
  });

  it('the server kept running and still owns its folder', async () => {
    assert.equal(server.child.exitCode, null);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
  });
});
