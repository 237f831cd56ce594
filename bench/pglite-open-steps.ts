/**
 * What a restart of the embedded store costs, step by step (issue 20 item 4): on a copy of a PGlite folder (typically
 * one left by kill -9), times opening it (WASM start + WAL replay), the schema checks (createSchema) and the statistics
 * step of PostgresStore.init (statistics.ts), then closes it and opens the same copy again, clean (no replay). The
 * difference of the two opens is the replay. Also reports the WAL the crash left (pg_wal) and the folder's size.
 *   npx tsx bench/pglite-open-steps.ts <folder>      (one JSON object; the folder itself is not touched)
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgliteClient } from '../server/store/postgres/open-postgres-store.js';
import { createSchema } from '../server/store/postgres/schema.js';
import { StatisticsKeeper } from '../server/store/postgres/statistics.js';

function folderMb(path: string): number {
  let bytes = 0;
  const walk = (p: string) => {
    for (const e of readdirSync(p, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(p, e.name));
      else if (e.isFile()) bytes += statSync(join(p, e.name)).size;
    }
  };
  walk(path);
  return Math.round(bytes / 1048576);
}

const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;
/** CPU seconds of this process (PGlite runs on its main thread): the figure that the machine's load does not inflate. */
const cpu = () => (process.cpuUsage().user + process.cpuUsage().system) / 1e6;

/** Seconds per step of opening `folder` (a copy of it) as the server does, then of a clean second open. */
export async function openSteps(folder: string): Promise<Record<string, number>> {
  const copy = mkdtempSync(join(tmpdir(), 'nilecare-open-steps-'));
  try {
    cpSync(folder, copy, { recursive: true });
    await import('@electric-sql/pglite'); // the module's own load is not the restart's concern here
    const out: Record<string, number> = { folderMb: folderMb(copy), walMb: folderMb(join(copy, 'pg_wal')) };
    for (const pass of ['afterCrash', 'clean'] as const) {
      let [t, c] = [performance.now(), cpu()];
      const step = async (name: string, fn: () => Promise<unknown>) => {
        [t, c] = [performance.now(), cpu()];
        await fn();
        out[`${pass}.${name}Seconds`] = seconds(t);
        out[`${pass}.${name}CpuSeconds`] = Math.round((cpu() - c) * 10) / 10;
      };
      let client: Awaited<ReturnType<typeof openPgliteClient>> | undefined;
      await step('open', async () => (client = await openPgliteClient(copy)));
      await step('schema', () => createSchema(client!));
      await step('statistics', () => new StatisticsKeeper(client!).init());
      // what PostgresStore.init did at every start before: a whole ANALYZE
      if (pass === 'afterCrash') await step('wholeAnalyze', () => client!.exec('ANALYZE'));
      await step('close', () => client!.close());
    }
    return out;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const folder = process.argv[2];
  if (!folder) throw new Error('usage: pglite-open-steps.ts <folder>');
  const load = loadavg()[0];
  const steps = await openSteps(folder);
  console.log(
    JSON.stringify({ benchmark: 'pglite-open-steps', loadAverage: { start: load, end: loadavg()[0] }, steps }),
  );
}
