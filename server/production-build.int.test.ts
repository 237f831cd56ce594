/**
 * The production build (issue 18 item 3): `npm run build` compiles to JavaScript, and `node dist/server/main.js`
 * serves without tsx or the TypeScript sources; the container's health check script answers 0 on a ready server
 * and 1 where none answers. (The Docker image itself is not built here: no Docker engine on these machines.)
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killStartedServers, startServerProcess, waitReady } from './testing/server-process.js';

// Inside the repository (test-artifacts/ is ignored by git) so that the compiled files find node_modules.
const out = join('test-artifacts', `build-${process.pid}`);
const dataDir = mkdtempSync(join(tmpdir(), 'nilecare-prod-'));

describe('production build: npm run build, then node dist/server/main.js', () => {
  before(() => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], {
      env: { ...process.env, BUILD_OUT_DIR: out },
      encoding: 'utf8',
    });
    assert.equal(build.status, 0, `the build failed:\n${build.stdout}\n${build.stderr}`);
  });
  after(() => {
    killStartedServers();
    rmSync(out, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('compiles every run-time file and leaves the sources and tests out', () => {
    for (const file of [
      'server/main.js',
      'server/healthcheck.js',
      'server/fhir/search/summary-elements.json',
      'server/console/public/index.html',
      'migrations/mysql/nilecare_auth/V1__Initial_schema.sql',
      'mappings/code-tables/ig.json',
      'package.json',
    ])
      assert.ok(existsSync(join(out, file)), `${file} is in the build`);
    assert.ok(!existsSync(join(out, 'server/main.ts')), 'no TypeScript sources');
    assert.ok(!existsSync(join(out, 'server/config.test.js')), 'no tests');
  });

  it('starts without tsx, serves FHIR, and the health check script reports it', async () => {
    const port = await freePort();
    const env = {
      PORT: String(port),
      PGLITE_DATA_DIR: join(dataDir, 'pglite'),
      EXPORT_DIR: join(dataDir, 'exports'),
      AUTH_KEYS_DIR: join(dataDir, 'auth'),
      NILECARE_AUTH: 'disabled',
      MLLP_PORT: '-1',
    };
    const base = `http://127.0.0.1:${port}`;
    // No --import tsx: only the compiled JavaScript.
    const server = startServerProcess(env, [join(out, 'server/main.js')]);
    await waitReady(base, server);
    const created = await fetch(`${base}/fhir/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Compiled' }] }),
    });
    assert.equal(created.status, 201);

    const check = (p: number) =>
      spawnSync(process.execPath, [join(out, 'server/healthcheck.js')], {
        env: { ...process.env, PORT: String(p), HOST: '0.0.0.0' },
        encoding: 'utf8',
      });
    const healthy = check(port);
    assert.equal(healthy.status, 0, healthy.stderr);
    const nobody = check(await freePort());
    assert.equal(nobody.status, 1, 'no server on that port: unhealthy');
    assert.match(nobody.stderr, /unhealthy/);

    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, 'SIGTERM stops the compiled server cleanly');
  });
});
