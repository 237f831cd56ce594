/**
 * $export jobs over time (issue 14 item 9): the snapshot mechanism on a fixed transactionTime, expiry of finished
 * jobs, DELETE of the status URL (running and finished), and the partial files of a crashed job at start-up.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { FULL_ACCESS } from '../../access-policy.js';
import { readPreferences } from '../../fhir-request.js';
import type { FhirContext } from '../../fhir-context.js';
import { startTestServer } from '../../../testing/test-server.js';
import type { StoreFactory } from '../../../store/testing/store-contract.js';
import { ExportJobStore } from '../export/export-jobs.js';
import { runExport } from '../export/run-export.js';
import { pollExport, type BulkHarness, type Json } from './bulk-harness.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function exportLifecycleTests(h: () => BulkHarness, factory: StoreFactory): void {
  it('snapshot: what changed after transactionTime is exported as it was then (created after: absent; deleted after: present)', async () => {
    const system = `urn:snapshot:${randomUUID()}`;
    const put = async (id: string, family: string) => {
      const res = await h().server.fhir(`/Patient/${id}`, {
        method: 'PUT',
        body: { resourceType: 'Patient', id, identifier: [{ system, value: id }], name: [{ family }] },
      });
      assert.ok([200, 201].includes(res.status), res.text);
    };
    const [a, b, c, d] = ['snap-a', 'snap-b', 'snap-c', 'snap-d'].map((x) => `${x}-${randomUUID().slice(0, 8)}`);
    await put(a!, 'Before');
    await put(b!, 'Before');
    await put(c!, 'Before');
    await pause(5);
    const transactionTime = new Date().toISOString();
    await pause(5);
    await put(a!, 'After');
    assert.equal((await h().server.fhir(`/Patient/${b}`, { method: 'DELETE' })).status, 204);
    await put(d!, 'After');

    const jobs = new ExportJobStore(join(h().workDir, 'snapshot-jobs'));
    const job = await jobs.create({
      level: 'system',
      request: 'test',
      owner: FULL_ACCESS.who,
      transactionTime,
      types: ['Patient'],
      typeFilters: [{ type: 'Patient', params: [['identifier', `${system}|`]] }],
    });
    const ctx: FhirContext = {
      ...h().server.app.services,
      access: FULL_ACCESS,
      prefer: readPreferences({}),
      requestId: 'snapshot-test',
    };
    await runExport(ctx, jobs, job, new AbortController().signal);
    const done = (await jobs.get(job.id))!;
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    const lines = readFileSync(join(jobs.folder(job.id), 'Patient.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Json);
    assert.deepEqual(lines.map((r) => r.id).sort(), [a, b, c].sort());
    for (const r of lines) assert.equal(r.name[0].family, 'Before', `${r.id} as it was at transactionTime`);
    assert.ok(!readdirSync(jobs.folder(job.id)).some((f) => f.endsWith('.main')), 'no working file left');
  });

  it('finished jobs expire: Expires on the manifest, then the status and file URLs answer 404 and the files are gone', async () => {
    const { store, dispose } = await factory();
    const dir = join(h().workDir, 'expiring');
    const server = await startTestServer(store, { env: { EXPORT_DIR: dir, EXPORT_RETENTION_HOURS: '0.0005' } });
    try {
      await server.fhir('/Patient/exp-1', { method: 'PUT', body: { resourceType: 'Patient', id: 'exp-1' } });
      const kick = async () =>
        (await server.fhir('/$export?_type=Patient', { headers: { prefer: 'respond-async' } })).headers.get(
          'content-location',
        )!;
      const [polled, swept] = [await kick(), await kick()];
      const done = await pollExport(server, polled);
      assert.equal(done.status, 200);
      const expires = Date.parse(done.headers.get('expires') ?? '');
      assert.ok(expires > Date.now() - 1000 && expires < Date.now() + 5000, `Expires ${done.headers.get('expires')}`);
      assert.equal((await pollExport(server, swept)).status, 200);
      const file = done.body.output[0].url as string;
      assert.equal((await server.fhir(file)).status, 200);
      await pause(3500);
      assert.equal((await server.fhir(polled)).status, 404, 'expired job');
      assert.equal((await server.fhir(file)).status, 404, 'expired file');
      assert.deepEqual(readdirSync(dir), [], 'both jobs deleted (one by the poll, one by the sweep)');
    } finally {
      await server.close();
      await store.close();
      await dispose();
    }
  });

  it('DELETE on the status URL cancels a running job and deletes its files; on a finished job deletes the files; then 404', async () => {
    const running = await h().server.fhir('/$export', { headers: { prefer: 'respond-async' } });
    assert.equal(running.status, 202);
    const where = running.headers.get('content-location')!;
    const folder = join(h().exportDir, new URL(where).searchParams.get('_jobId')!);
    assert.equal((await h().server.fhir(where, { method: 'DELETE' })).status, 202);
    assert.ok(!existsSync(folder), 'the folder is gone');
    assert.equal((await h().server.fhir(where)).status, 404);
    await pause(500);
    assert.ok(!existsSync(folder), 'nothing was written after the cancellation');

    const finished = await h().server.fhir('/$export?_type=Patient', { headers: { prefer: 'respond-async' } });
    const done = await pollExport(h().server, finished.headers.get('content-location')!);
    assert.equal(done.status, 200);
    const file = done.body.output[0].url as string;
    assert.equal((await h().server.fhir(finished.headers.get('content-location')!, { method: 'DELETE' })).status, 202);
    assert.equal((await h().server.fhir(file)).status, 404);
    assert.equal((await h().server.fhir(finished.headers.get('content-location')!)).status, 404);
    assert.equal((await h().server.fhir(finished.headers.get('content-location')!, { method: 'DELETE' })).status, 404);
  });

  it('at start, a job a crash interrupted is failed and its partial files removed; a folder without a job record goes', async () => {
    const { store, dispose } = await factory();
    const dir = join(h().workDir, 'crashed');
    const id = randomUUID();
    const orphan = randomUUID();
    mkdirSync(join(dir, id), { recursive: true });
    mkdirSync(join(dir, orphan), { recursive: true });
    writeFileSync(join(dir, orphan, 'Patient.ndjson.main'), '{"resourceType":"Patient","id":"x"}\n');
    writeFileSync(
      join(dir, id, 'job.json'),
      JSON.stringify({
        id,
        status: 'in-progress',
        level: 'system',
        request: 'http://x/fhir/$export',
        owner: FULL_ACCESS.who,
        transactionTime: new Date().toISOString(),
        types: ['Patient', 'Observation'],
        typeFilters: [],
        output: [{ type: 'Patient', file: 'Patient.ndjson', count: 1 }],
        error: [],
        progress: '1/2 types exported (Patient)',
        updatedAt: new Date().toISOString(),
      }),
    );
    writeFileSync(join(dir, id, 'Patient.ndjson'), '{"resourceType":"Patient","id":"x"}\n');
    writeFileSync(join(dir, id, 'Observation.ndjson.main'), '{"resourceType":"Observation","id":"half');
    const server = await startTestServer(store, { env: { EXPORT_DIR: dir } });
    try {
      assert.deepEqual(readdirSync(join(dir, id)), ['job.json'], 'partial files removed');
      assert.ok(!existsSync(join(dir, orphan)), 'orphan folder removed');
      const status = await server.fhir(`/$export-poll-status?_jobId=${id}`);
      assert.equal(status.status, 500);
      assert.match(status.text, /stopped while the export ran/);
      assert.equal((await server.fhir(`/$export-file?_jobId=${id}&file=Patient.ndjson`)).status, 404);
      assert.ok(status.headers.get('expires'), 'a failed job expires too');
    } finally {
      await server.close();
      await store.close();
      await dispose();
    }
  });
}
