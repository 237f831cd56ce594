/**
 * Recovery at start-up of the export job folder when other processes (or other app instances of this process) share
 * it. The attack that found it: a test server starting while another exported deleted the running export's files,
 * and the finished export's download answered 404 (CI, documents-in-bulk.pglite).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ExportJobStore, type ExportJob, type NewExportJob } from './export-jobs.js';

const request: NewExportJob = {
  level: 'system',
  request: 'http://x/fhir/$export',
  owner: 'tester',
  transactionTime: new Date().toISOString(),
  types: ['Patient'],
  typeFilters: [],
};

async function jobWrittenBy(dir: string, runner: ExportJob['runner']): Promise<string> {
  const id = randomUUID();
  const job: ExportJob = {
    ...request,
    id,
    status: 'in-progress',
    output: [],
    error: [],
    progress: 'Patient',
    updatedAt: new Date().toISOString(),
    ...(runner ? { runner } : {}),
  };
  await mkdir(join(dir, id), { recursive: true });
  await writeFile(join(dir, id, 'job.json'), JSON.stringify(job));
  await writeFile(join(dir, id, 'Patient.ndjson'), '{"resourceType":"Patient"}\n');
  return id;
}

async function statusOf(dir: string, id: string): Promise<string | undefined> {
  if (!existsSync(join(dir, id, 'job.json'))) return undefined;
  return (JSON.parse(await readFile(join(dir, id, 'job.json'), 'utf8')) as ExportJob).status;
}

describe('export jobs: recovery at start leaves other live processes’ jobs alone', () => {
  const dirs: string[] = [];
  const folder = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'export-jobs-'));
    dirs.push(dir);
    return dir;
  };
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('a job this process runs survives another instance starting on the same folder', async () => {
    const dir = await folder();
    const a = new ExportJobStore(dir);
    const job = await a.create(request);
    await writeFile(join(dir, job.id, 'Patient.ndjson'), '{}\n');
    await new ExportJobStore(dir).recoverAtStart();
    assert.equal(await statusOf(dir, job.id), 'in-progress');
    assert.ok(existsSync(join(dir, job.id, 'Patient.ndjson')), 'its file is still there');
    await a.finish(job, { status: 'completed', output: [], error: [], progress: 'done' });
  });

  it('a job of another live process of this host is left alone; a dead process’s job is failed and emptied', async () => {
    const dir = await folder();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const live = await jobWrittenBy(dir, { host: hostname(), pid: child.pid! });
      const dead = spawnSync(process.execPath, ['-e', '0']).pid;
      const deadJob = await jobWrittenBy(dir, { host: hostname(), pid: dead });
      const legacy = await jobWrittenBy(dir, undefined);
      const previousSelf = await jobWrittenBy(dir, { host: hostname(), pid: process.pid });
      const result = await new ExportJobStore(dir).recoverAtStart();
      assert.equal(await statusOf(dir, live), 'in-progress');
      assert.ok(existsSync(join(dir, live, 'Patient.ndjson')));
      for (const id of [deadJob, legacy, previousSelf]) {
        assert.equal(await statusOf(dir, id), 'failed', id);
        assert.ok(!existsSync(join(dir, id, 'Patient.ndjson')), `${id}: partial file removed`);
      }
      assert.equal(result.interrupted, 3);
    } finally {
      child.kill();
    }
  });

  it('an empty folder without job.json is a kick-off under way while young, a crash’s leftover when old', async () => {
    const dir = await folder();
    const young = randomUUID();
    const old = randomUUID();
    await mkdir(join(dir, young));
    await mkdir(join(dir, old));
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await utimes(join(dir, old), twoMinutesAgo, twoMinutesAgo);
    const result = await new ExportJobStore(dir).recoverAtStart();
    assert.ok(existsSync(join(dir, young)), 'the young folder stays');
    assert.ok(!existsSync(join(dir, old)), 'the old folder goes');
    assert.equal(result.removed, 1);
  });
});
