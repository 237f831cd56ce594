/**
 * Where a restart of the server on an existing embedded store spends its CPU (issue 20 item 4): the server as `npm
 * start` runs it (bench/server-process.ts) on a fresh PGlite folder, started once (the folder is made: initdb),
 * stopped, then started `--starts` more times on the same folder, each with a V8 CPU profile of the server process.
 * Per restart: wall and CPU seconds (/proc, every thread) until /readyz answers, peak RSS; from the profile, the
 * main thread's time split by what it was doing (module loading, definitions and validation warm-up, PGlite
 * WASM, the rest). Prints one JSON object.
 * Usage: npx tsx bench/pglite-start-split.ts [--starts 2] [--auth on|off] [--keep-profiles <folder>]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions } from './options.js';
import { freshDatabase, startServer } from './server-process.js';
import { authSetup } from './auth-mode.js';
import { cpuTicks } from './cpu-meter.js';

const argv = process.argv.slice(2);
const startsAt = argv.indexOf('--starts');
const starts = startsAt >= 0 ? Number(argv.splice(startsAt, 2)[1]) : 2;
const keepAt = argv.indexOf('--keep-profiles');
const keep = keepAt >= 0 ? argv.splice(keepAt, 2)[1] : undefined;
if (!argv.includes('--store')) argv.push('--store', 'pglite');
const options = parseOptions(argv);
const log = (m: string) => console.error(`[start-split] ${m}`);

type Node = {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
};
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

/** The first matching category on a sample's stack (leaf to root), else its leaf's own category. */
const CATEGORIES: [string, (f: Node['callFrame']) => boolean][] = [
  ['definitions', (f) => f.functionName === 'ensureDefinitions' || f.functionName === 'loadDefinitions'],
  ['validationWarmUp', (f) => f.functionName === 'warmUpValidation'],
  ['storeInit', (f) => /store\/postgres\/(schema|statistics)\.ts/.test(f.url)],
  ['pgliteJs', (f) => /open-postgres-store|pglite-fsync|electric-sql\/pglite/.test(f.url)],
  ['auth', (f) => /server\/auth\//.test(f.url)],
];

function split(profile: Profile): Record<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, string>();
  const categorise = (id: number): string => {
    const cached = memo.get(id);
    if (cached) return cached;
    const leaf = byId.get(id)!.callFrame;
    let category: string | undefined;
    if (leaf.functionName === '(idle)') category = 'idle';
    else if (leaf.functionName === '(garbage collector)') category = 'gc';
    else if (leaf.url.startsWith('wasm://') || leaf.functionName.startsWith('wasm-')) category = 'pgliteWasm';
    for (let at: number | undefined = id; at !== undefined && !category; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      category = CATEGORIES.find(([, test]) => test(frame))?.[0];
    }
    if (!category) {
      if (/esm\/|cjs\/|tsx\/dist|compileSourceTextModule|wrapSafe/.test(leaf.url + leaf.functionName))
        category = 'moduleLoading';
      else category = 'other';
    }
    memo.set(id, category);
    return category;
  };
  const ms: Record<string, number> = {};
  profile.samples.forEach((id, i) => {
    const c = categorise(id);
    ms[c] = (ms[c] ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000;
  });
  return Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, Math.round(v)]));
}

const db = await freshDatabase(options);
const auth = authSetup(options.auth === 'on' ? 'on' : 'off');
const out: Record<string, unknown> = { benchmark: 'pglite-start-split', auth: options.auth, loadAtStart: loadavg() };
const runs: Record<string, unknown>[] = [];
try {
  let t = performance.now();
  let server = await startServer(db, options, auth);
  out.firstStart = { wallSeconds: Math.round(performance.now() - t) / 1000, cpuSeconds: cpuTicks(server.pid) / 100 };
  await server.stop();
  for (let i = 0; i < starts; i++) {
    const profDir = keep ? mkdtempSync(join(keep, 'start-')) : mkdtempSync(join(tmpdir(), 'nilecare-start-prof-'));
    try {
      t = performance.now();
      server = await startServer(db, { ...options, cpuProfDir: profDir }, auth);
      const run: Record<string, unknown> = {
        wallSeconds: Math.round(performance.now() - t) / 1000,
        cpuSeconds: cpuTicks(server.pid) / 100,
        peakRssMb: server.peakRssMb(),
        load: loadavg()[0],
      };
      await server.stop(); // the profile is written at exit (it covers the stop too: a few ms)
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (file) run.mainThreadMs = split(JSON.parse(readFileSync(join(profDir, file), 'utf8')) as Profile);
      log(JSON.stringify(run));
      runs.push(run);
    } finally {
      if (!keep) rmSync(profDir, { recursive: true, force: true });
    }
  }
} finally {
  await auth.close();
  await db.drop();
}
out.restarts = runs;
out.loadAtEnd = loadavg();
console.log(JSON.stringify(out, null, 2));
