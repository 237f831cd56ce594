/**
 * The PostgreSQL side of Observation/$lastn, read-only, on an existing database (e.g. the kept 1M bench database):
 * the store's searchEntries() as `Observation/$lastn?patient=…&category=vital-signs&max=3` calls it, then the
 * grouping (lastn-groups.ts), for random patients that have vital signs, compared between two checkouts of the code
 * (e.g. main and a worktree) run alternately on the same patients. Per request: wall time, the CPU of the one
 * PostgreSQL backend serving it (/proc of its pid: planning and execution) and of this process (driver, parse of the
 * rows and bodies, grouping). Writes nothing.
 * Usage: npx tsx bench/lastn-statement.ts <database> <checkout A> [checkout B] [--patients 100] [--rounds 3]
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { percentile } from './stats.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { patients: { type: 'string', default: '100' }, rounds: { type: 'string', default: '3' } },
});
const [db, ...roots] = positionals;
if (!db || roots.length === 0) {
  console.error('usage: npx tsx bench/lastn-statement.ts <database> <checkout A> [checkout B] [--patients 100]');
  process.exit(2);
}

type Code = {
  label: string;
  searchEntries: (...args: unknown[]) => Promise<Array<{ entries: unknown[] }>>;
  lastnGroups: (rows: unknown[], max: number) => unknown[];
  parseSearch: (...args: unknown[]) => { query: unknown };
  pgClient: (pool: pg.Pool, description: string) => unknown;
};
async function load(root: string): Promise<Code> {
  const at = (p: string) => path.resolve(root, p);
  const entries = await import(at('server/store/postgres/search/search-entries.ts'));
  const groups = await import(at('server/fhir/operations/lastn-groups.ts'));
  const parse = await import(at('server/fhir/search/parse-search.ts'));
  const client = await import(at('server/store/postgres/pg-client.ts'));
  return {
    label: root,
    searchEntries: entries.searchEntries,
    lastnGroups: groups.lastnGroups,
    parseSearch: parse.parseSearch,
    pgClient: client.pgClient,
  };
}
const codes = await Promise.all(roots.map(load));

const url = `postgres://postgres@127.0.0.1:5432/${db}`;
const pool = new pg.Pool({ connectionString: url, max: 1 });
const admin = new pg.Client({ connectionString: url });
await admin.connect();
const { rows: pidRows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
const backend = pidRows[0]!.pid;
const ticks = 100; // USER_HZ
const backendCpuMs = () => {
  const fields = readFileSync(`/proc/${backend}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks;
};
const { rows: subjects } = await admin.query<{ subject: string }>(
  `SELECT l.subject FROM (SELECT DISTINCT subject FROM fhir_lastn WHERE resource_type = 'Observation' AND code IS NOT NULL) l
   WHERE EXISTS (SELECT 1 FROM fhir_idx_token t JOIN fhir_lastn k ON k.resource_type = t.resource_type AND k.resource_id = t.resource_id
                 WHERE k.subject = l.subject AND t.resource_type = 'Observation' AND t.param = 'category' AND t.code = 'vital-signs')
   ORDER BY md5(l.subject) LIMIT $1`,
  [Number(values.patients)],
);
const { rows: countRows } = await admin.query<{ n: string }>('SELECT count(*) AS n FROM fhir_resource');
await admin.end();

const ENTRY_PARAMS = [
  { param: 'subject', kind: 'reference' },
  { param: 'code', kind: 'token' },
  { param: 'date', kind: 'date' },
];
const NEWEST = { subject: 'subject', code: 'code', date: 'date', max: 3 };

async function once(code: Code, subject: string) {
  const client = code.pgClient(pool, 'bench');
  const parsed = code.parseSearch(
    ['Observation'],
    [
      ['patient', subject.split('/')[1]!],
      ['category', 'vital-signs'],
    ],
    { baseUrl: 'http://localhost' },
  );
  const cpu0 = process.cpuUsage();
  const pg0 = backendCpuMs();
  const t0 = performance.now();
  const rows = await code.searchEntries(client, parsed.query, ENTRY_PARAMS, 50_001, NEWEST);
  const groups = code.lastnGroups(rows, 3);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, pgCpuMs: backendCpuMs() - pg0, nodeCpuMs: (cpu.user + cpu.system) / 1000, groups: groups.length };
}

const results = codes.map(() => ({ ms: [] as number[], pg: 0, node: 0, n: 0, groups: 0 }));
const load0 = os.loadavg();
for (const s of subjects.slice(0, 5)) for (const c of codes) await once(c, s.subject); // warm-up
for (let round = 0; round < Number(values.rounds); round++)
  for (const [i, s] of subjects.entries()) {
    const order = (i + round) % 2 === 0 ? codes.map((c, k) => k) : codes.map((c, k) => k).reverse();
    const seen: number[] = [];
    for (const k of order) {
      const r = await once(codes[k]!, s.subject);
      results[k]!.ms.push(r.ms);
      results[k]!.pg += r.pgCpuMs;
      results[k]!.node += r.nodeCpuMs;
      results[k]!.n++;
      results[k]!.groups += r.groups;
      seen.push(r.groups);
    }
    if (new Set(seen).size > 1) throw new Error(`${s.subject}: the checkouts answer ${seen.join(' vs ')} groups`);
  }
await pool.end();
const round2 = (n: number) => Math.round(n * 100) / 100;
console.log(
  JSON.stringify({
    bench: 'lastn-statement',
    database: db,
    resources: Number(countRows[0]!.n),
    patients: subjects.length,
    loadavg: { start: load0.map(round2), end: os.loadavg().map(round2) },
    results: codes.map((c, k) => {
      const r = results[k]!;
      const ms = [...r.ms].sort((a, b) => a - b);
      return {
        checkout: c.label,
        requests: r.n,
        meanGroups: round2(r.groups / r.n),
        ms: { p50: round2(percentile(ms, 50)), p95: round2(percentile(ms, 95)), p99: round2(percentile(ms, 99)) },
        // /proc counts in 10 ms ticks: meaningful as a mean over many requests
        postgresCpuMsPerRequest: round2(r.pg / r.n),
        nodeCpuMsPerRequest: round2(r.node / r.n),
      };
    }),
  }),
);
