/**
 * A test server started without EXPORT_DIR writes its bulk exports into a temporary folder of its own, removed when
 * it closes — not into the repository's ./data/exports (the configuration's default), which every test server shared.
 * A test's own EXPORT_DIR is used as given and left in place.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config.js';
import { pgliteTestStore } from '../store/postgres/testing/test-stores.js';
import { startTestServer } from './test-server.js';

const DEFAULT_EXPORT_DIR = resolve(loadConfig({}).exportDir);

describe('test server: bulk exports', () => {
  it('without EXPORT_DIR, an export goes to a folder of its own, removed on close', async () => {
    const { store, dispose } = await pgliteTestStore();
    const server = await startTestServer(store);
    let jobId: string;
    try {
      assert.notEqual(resolve(server.exportDir), DEFAULT_EXPORT_DIR);
      assert.equal((await server.fhir('/Patient', { method: 'POST', body: { resourceType: 'Patient' } })).status, 201);
      const kick = await server.fhir('/$export?_type=Patient', { headers: { prefer: 'respond-async' } });
      assert.equal(kick.status, 202, kick.text);
      jobId = new URL(kick.headers.get('content-location')!).searchParams.get('_jobId')!;
      assert.ok(readdirSync(server.exportDir).includes(jobId), 'the job is in the server’s export folder');
      assert.ok(!existsSync(join(DEFAULT_EXPORT_DIR, jobId)), 'nothing in ./data/exports');
    } finally {
      await server.close();
      await dispose();
    }
    assert.ok(!existsSync(server.exportDir), 'the folder is removed on close');
  });

  it('a given EXPORT_DIR is used and left in place', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nilecare-given-exports-'));
    const { store, dispose } = await pgliteTestStore();
    try {
      const server = await startTestServer(store, { env: { EXPORT_DIR: dir } });
      assert.equal(server.exportDir, dir);
      await server.close();
      assert.ok(existsSync(dir));
    } finally {
      await dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
