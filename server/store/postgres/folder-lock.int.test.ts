/**
 * Issue #14 item 11: two processes on one embedded store lost the whole database. The folder is now locked to one
 * process: a second opener (a second server, `npm run reindex`, `npm run projections:rebuild`) is refused with a
 * message naming the holder, touches nothing, and the server's data is intact after a stop and a restart. A lock
 * left by a killed process is taken over.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderLockedError, lockFolder } from './folder-lock.js';
import { freePort, killStartedServers, startServerProcess, waitReady } from '../../testing/server-process.js';

const root = mkdtempSync(join(tmpdir(), 'nilecare-folder-lock-'));
/** `npm run <script>`-like: a source entry point through tsx, with the environment given. */
const run = (args: string[], env: Record<string, string>) => startServerProcess(env, ['--import', 'tsx', ...args]);

describe('embedded store folder lock (one process per PGlite folder)', () => {
  after(() => {
    killStartedServers();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a second opener naming the holder, frees on release, takes over a dead holder’s lock', () => {
    const folder = join(root, 'unit');
    const lock = lockFolder(folder);
    assert.throws(
      () => lockFolder(folder),
      (error: unknown) =>
        error instanceof FolderLockedError &&
        error.holder?.pid === process.pid &&
        /is in use by process \d+ on /.test(error.message),
    );
    lock.release();
    assert.equal(existsSync(`${folder}.lock`), false, 'released: the lock file is gone');
    lockFolder(folder).release();

    // a process killed with -9 leaves its file: its pid is gone, so the lock is taken over
    writeFileSync(
      `${folder}.lock`,
      JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), command: 'killed', since: '' }),
    );
    const taken = lockFolder(folder);
    taken.release();

    // another machine's lock is never taken over: the message says what to check
    writeFileSync(
      `${folder}.lock`,
      JSON.stringify({ pid: 1, host: 'other-host.example', command: 'npm start', since: '' }),
    );
    assert.throws(() => lockFolder(folder), /other-host\.example.*delete .*\.lock/s);
    rmSync(`${folder}.lock`);
  });

  it('with the server running, a second server, reindex and projections:rebuild are refused; data intact after restart', async () => {
    const dataDir = join(root, 'server');
    const port = await freePort();
    const env = {
      PORT: String(port),
      PGLITE_DATA_DIR: dataDir,
      NILECARE_AUTH: 'disabled',
      EXPORT_DIR: join(root, 'exports'),
      MLLP_PORT: '-1',
    };
    const base = `http://127.0.0.1:${port}`;
    const server = run(['server/main.ts'], env);
    await waitReady(base, server);
    const created = await fetch(`${base}/fhir/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Folder', given: ['Lock'] }] }),
    });
    assert.equal(created.status, 201);
    const id = ((await created.json()) as { id: string }).id;

    const others = [
      { name: 'second server', args: ['server/main.ts'], env: { ...env, PORT: String(await freePort()) } },
      { name: 'npm run reindex', args: ['server/cli/reindex.ts'], env },
      { name: 'npm run projections:rebuild', args: ['adapters/cli/rebuild.ts'], env },
    ];
    for (const other of others) {
      const attempt = run(other.args, other.env);
      const code = await attempt.exited;
      assert.notEqual(code, 0, `${other.name} must not succeed:\n${attempt.output()}`);
      assert.match(
        attempt.output(),
        /is in use by process \d+/,
        `${other.name} names the holder:\n${attempt.output()}`,
      );
      assert.match(attempt.output(), new RegExp(String(server.child.pid)), `${other.name}: the server's pid`);
    }
    // the server still works, and a stop and a restart find the data
    assert.equal((await fetch(`${base}/fhir/Patient/${id}`)).status, 200);
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, server.output());
    assert.equal(existsSync(`${dataDir}.lock`), false, 'a clean stop frees the folder');
    const again = run(['server/main.ts'], env);
    await waitReady(base, again);
    const read = await fetch(`${base}/fhir/Patient/${id}`);
    assert.equal(read.status, 200, again.output());
    assert.equal(((await read.json()) as { name: Array<{ family: string }> }).name[0]!.family, 'Folder');
    again.child.kill('SIGTERM');
    await again.exited;
  });
});
