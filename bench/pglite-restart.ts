/**
 * Embedded store (PGlite on a folder): the cost of fsync and the restart time after kill -9 (issue #20 item 4).
 * Each case runs bench/pglite-load-child.ts in its own process on a fresh folder: it writes Patients
 * (~1 kB each) in transactions of `batch` for `seconds`, then is killed with SIGKILL; the bench then opens the
 * folder again (open + init: WAL replay happens there), times it and checks that every acknowledged
 * resource is there. Prints JSON.
 *
 *   npx tsx bench/pglite-restart.ts [--seconds 40] [--small-seconds 15]
 *
 * Cases: small commits (1 resource per transaction) with fsync off and on; bundle-sized transactions
 * (100 resources) with PGlite's old settings (fsync off, checkpoint only at close) and the new defaults
 * (fsync on, a checkpoint every 30 s or 32 MB of WAL).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { openPgliteStore } from '../server/store/postgres/open-postgres-store.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '40' }, 'small-seconds': { type: 'string', default: '15' } },
});

type Case = { name: string; batch: number; seconds: number; env: Record<string, string> };

async function runCase(c: Case) {
  const dataDir = mkdtempSync(join(tmpdir(), 'nilecare-pglite-restart-'));
  try {
    const child = spawn(
      process.execPath,
      [
        ...(typeof WebSocket === 'undefined' ? ['--experimental-websocket'] : []), // node 20 here; 22 has it
        '--import',
        'tsx',
        fileURLToPath(new URL('./pglite-load-child.ts', import.meta.url)),
        dataDir,
        String(c.batch),
        String(c.seconds),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...c.env } },
    );
    let acked = 0;
    let loadStart = 0;
    let loadSeconds = 0;
    await new Promise<void>((resolve, reject) => {
      let buffer = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        for (const line of buffer.split('\n').slice(0, -1)) {
          if (line === 'ready') loadStart = performance.now();
          const m = /^ack (\d+)$/.exec(line);
          if (m) acked = Number(m[1]);
          if (line === 'done' && !child.killed) {
            loadSeconds = (performance.now() - loadStart) / 1000;
            child.kill('SIGKILL');
          }
        }
        buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    const started = performance.now();
    Object.assign(process.env, c.env);
    const store = await openPgliteStore({ dataDir });
    await store.init();
    const restartSeconds = (performance.now() - started) / 1000;
    const last = await store.read('Patient', `p-${acked - 1}`);
    await store.close();
    return {
      case: c.name,
      batch: c.batch,
      env: c.env,
      acknowledged: acked,
      resourcesPerSecond: Math.round(acked / loadSeconds),
      commitsPerSecond: Math.round(acked / c.batch / loadSeconds),
      restartSeconds: Number(restartSeconds.toFixed(1)),
      lastAcknowledgedFound: last !== undefined,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const seconds = Number(values.seconds);
const small = Number(values['small-seconds']);
const old = { NILECARE_PGLITE_FSYNC: 'off', NILECARE_PGLITE_CHECKPOINT: 'off' };
const now = { NILECARE_PGLITE_FSYNC: 'on', NILECARE_PGLITE_CHECKPOINT: '30' };
const cases: Case[] = [
  { name: 'small commits, fsync off', batch: 1, seconds: small, env: old },
  { name: 'small commits, fsync on', batch: 1, seconds: small, env: now },
  { name: 'bundles, old settings (fsync off, checkpoint at close only)', batch: 100, seconds, env: old },
  { name: 'bundles, new defaults (fsync on, timed checkpoints)', batch: 100, seconds, env: now },
];
const loadBefore = loadavg()[0]!;
const results = [];
for (const c of cases) results.push(await runCase(c));
console.log(
  JSON.stringify(
    { bench: 'pglite-restart', cores: 2, loadAverage: { start: loadBefore, end: loadavg()[0] }, results },
    null,
    2,
  ),
);
