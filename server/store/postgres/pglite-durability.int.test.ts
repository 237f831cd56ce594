/**
 * The embedded store keeps its data in a folder: it survives a clean restart, and a write that was
 * acknowledged survives the process being killed (SIGKILL) right after.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Resource } from '@medplum/fhirtypes';
import { openPgliteClient, openPgliteStore } from './open-postgres-store.js';

const folders: string[] = [];
async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nilecare-pglite-'));
  folders.push(dir);
  return dir;
}

function patient(id: string, versionId: number, family: string) {
  const lastUpdated = new Date().toISOString();
  return {
    resourceType: 'Patient',
    id,
    versionId,
    lastUpdated,
    resource: {
      resourceType: 'Patient',
      id,
      name: [{ family }],
      meta: { versionId: String(versionId), lastUpdated },
    } as Resource,
    index: {
      entries: [{ kind: 'string' as const, param: 'family', value: family.toLowerCase(), exact: family }],
      compartments: [],
    },
  };
}

describe('PGlite store on a data folder', () => {
  after(async () => {
    for (const dir of folders) await rm(dir, { recursive: true, force: true });
  });

  it('keeps versions, index rows and the outbox across a restart', async () => {
    const dataDir = await folder();
    const first = await openPgliteStore({ dataDir });
    assert.match(first.description, /pglite/);
    await first.init();
    await first.write([patient('r1', 1, 'Osman')]);
    await first.write([patient('r1', 2, 'Babiker')]);
    const seqBefore = (await first.changesAfter(0, 100)).at(-1)!.seq;
    await first.close();

    const second = await openPgliteStore({ dataDir });
    await second.init();
    assert.equal((await second.read('Patient', 'r1'))?.versionId, 2);
    assert.equal((await second.vread('Patient', 'r1', 1))?.resource?.['name' as never]?.[0]?.['family'], 'Osman');
    const found = await second.search({
      resourceTypes: ['Patient'],
      conditions: [{ kind: 'string', param: 'family', match: 'exact', values: ['Babiker'] }],
      sort: [],
      count: 10,
      total: 'accurate',
    });
    assert.deepEqual(
      found.entries.map((e) => e.id),
      ['r1'],
    );
    await second.write([patient('r1', 3, 'Elamin')]);
    const changes = await second.changesAfter(seqBefore, 100);
    assert.deepEqual(
      changes.map((c) => c.versionId),
      [3],
      'the outbox continues after the restart',
    );
    await second.close();
  });

  it('fsyncs commits on a folder by default; NILECARE_PGLITE_FSYNC=off opts out', async () => {
    const settings = async () => {
      const client = await openPgliteClient(await folder());
      try {
        const { rows } = await client.query<{ fsync: string; method: string }>({
          text: "SELECT current_setting('fsync') AS fsync, current_setting('wal_sync_method') AS method",
        });
        return { ...rows[0]!, description: client.description };
      } finally {
        await client.close();
      }
    };
    const on = await settings();
    assert.deepEqual([on.fsync, on.method], ['on', 'fsync'], 'fdatasync is a no-op in PGlite: fsync() is used');
    process.env['NILECARE_PGLITE_FSYNC'] = 'off';
    try {
      const off = await settings();
      assert.equal(off.fsync, 'off');
      assert.match(off.description, /fsync off/);
    } finally {
      delete process.env['NILECARE_PGLITE_FSYNC'];
    }
  });

  it('loses no acknowledged write when the process is killed', { timeout: 300_000 }, async () => {
    const dataDir = await folder();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./testing/pglite-crash-child.ts', import.meta.url)), dataDir],
      // a checkpoint every second while it writes: the kill falls between checkpoints, after some of them
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NILECARE_PGLITE_CHECKPOINT: '1' } },
    );
    let acked = -1;
    let checkpoints = 0;
    await new Promise<void>((resolve, reject) => {
      let buffer = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        for (const line of buffer.split('\n').slice(0, -1)) {
          const m = /^ack (\d+)$/.exec(line);
          if (m) acked = Number(m[1]);
          const c = /^checkpoints (\d+)$/.exec(line);
          if (c) checkpoints = Number(c[1]);
          if (acked >= 20 && checkpoints >= 2 && !child.killed) child.kill('SIGKILL'); // no close(), no shutdown: as a crash
        }
        buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
      });
      child.on('exit', () => resolve()); // gone (reaped): its folder lock is now a dead holder's, taken over below
      child.on('error', reject);
    });
    assert.ok(acked >= 20, `the writer acknowledged ${acked + 1} writes before being killed`);

    const store = await openPgliteStore({ dataDir });
    await store.init();
    const ids = Array.from({ length: acked + 1 }, (_, i) => ({ resourceType: 'Patient', id: `crash-${i}` }));
    const found = await store.readMany(ids);
    assert.equal(found.length, acked + 1, `all ${acked + 1} acknowledged writes are there after the crash`);
    const indexed = await store.search({
      resourceTypes: ['Patient'],
      conditions: [{ kind: 'string', param: 'name', match: 'exact', values: [`N${acked}`] }],
      sort: [],
      count: 10,
      total: 'none',
    });
    assert.equal(indexed.entries.length, 1, 'with their index rows');
    await store.close();
  });
});
