/**
 * Read by id and the five bench searches on a database kept by `npm run bench -- --keep-db` (no loading, so two
 * versions of the server can be compared on the same data in a few minutes): starts the server of this checkout on
 * that database (auth on: a backend-services token, audit on, as the bench of record), samples patients from the
 * database, then per figure `count` sequential requests: p50/p99 ms, and server, PostgreSQL and client (this process)
 * CPU ms per request. Prints one JSON object.
 * Figure `lastn` is the bench's `$lastn` request (bench/lastn-phase.ts) for patients with a coded, dated Observation.
 * Usage: npx tsx bench/read-search-figures.ts <database> [count=300] [auth=on|off] [figures=read,patientByName,…,lastn]
 *   (CPU_PROF_DIR=dir: the server's V8 CPU profile)
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { parseOptions } from './options.js';
import { startServer, type FreshDatabase } from './server-process.js';
import { CpuMeter } from './cpu-meter.js';
import { authHeader, authSetup } from './auth-mode.js';
import { SEARCHES, type SearchName } from './http-figures.js';
import { timed } from './stats.js';
import type { PatientSample } from './load-data.js';
import { lastnQuery } from './lastn-phase.js';

const [dbName, countArg = '300', authArg = 'on', figuresArg] = process.argv.slice(2);
if (!dbName) {
  console.error('usage: npx tsx bench/read-search-figures.ts <database> [count] [on|off] [figures]');
  process.exit(2);
}
const count = Number(countArg);
// CPU_PROF_DIR: the server writes a V8 CPU profile there on stop (bench/profile-summary.ts reads it)
const options = { ...parseOptions([]), cpuProfDir: process.env.CPU_PROF_DIR || undefined };
const url = new URL(options.postgresAdminUrl);
url.pathname = `/${dbName}`;
const db: FreshDatabase = {
  env: { NILECARE_STORE: 'postgres', DATABASE_URL: url.toString() },
  description: `postgres database ${dbName} (kept)`,
  postgresDbName: dbName,
  drop: async () => undefined,
};

/** Patients of the loaded data with a family name and, where they have one, a coded, dated Observation. */
async function samplePatients(n: number): Promise<PatientSample[]> {
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  try {
    const { rows } = await c.query<{ id: string; family: string; code: string | null; date: string | null }>(
      `SELECT p.id, p.content->'name'->0->>'family' AS family, o.code, o.date
         FROM (SELECT id, content FROM fhir_resource TABLESAMPLE SYSTEM (5) REPEATABLE (7)
                WHERE resource_type = 'Patient' AND NOT deleted AND content->'name'->0->>'family' IS NOT NULL
                LIMIT $1) p
         LEFT JOIN LATERAL (
           SELECT (r.content->'code'->'coding'->0->>'system') || '|' || (r.content->'code'->'coding'->0->>'code') AS code,
                  left(r.content->>'effectiveDateTime', 10) AS date
             FROM fhir_idx_reference x JOIN fhir_resource r ON r.resource_type = x.resource_type AND r.id = x.resource_id
            WHERE x.resource_type = 'Observation' AND x.param = 'patient' AND x.target_type = 'Patient'
              AND x.target_id = p.id AND r.content->>'effectiveDateTime' IS NOT NULL LIMIT 1) o ON TRUE`,
      [n],
    );
    return rows.map((r) => ({
      id: r.id,
      family: r.family,
      ...(r.code && r.date ? { observation: { code: r.code, date: r.date } } : {}),
    }));
  } finally {
    await c.end();
  }
}

const samples = await samplePatients(200);
const auth = authSetup(authArg === 'off' ? 'off' : 'on');
const server = await startServer(db, options, auth);
const meter = await CpuMeter.open(server.pid, { adminUrl: options.postgresAdminUrl, dbName });
const names = figuresArg ? figuresArg.split(',') : ['read', ...Object.keys(SEARCHES), 'lastn'];
const out: Record<string, unknown> = {
  database: dbName,
  auth: authArg,
  count,
  samples: samples.length,
  loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
};
try {
  for (const name of names) {
    const pool =
      name === 'observationByPatientCodeDate' || name === 'lastn'
        ? samples.filter((s) => s.observation)
        : name === 'read'
          ? samples
          : samples.filter((s) => s.family);
    const path = (i: number) => {
      const s = pool[(i * 7919) % pool.length]!;
      if (name === 'read') return `Patient/${s.id}`;
      return name === 'lastn' ? lastnQuery(s) : SEARCHES[name as SearchName](s);
    };
    let matches = 0;
    const get = async (i: number) => {
      const res = await fetch(`${server.baseUrl}/fhir/${path(i)}`, {
        headers: { accept: 'application/fhir+json', ...authHeader() },
      });
      const body = (await res.json()) as { entry?: Array<{ search?: { mode?: string } }> };
      if (!res.ok) throw new Error(`${path(i)} answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
      matches += (body.entry ?? []).filter((e) => e.search?.mode === 'match').length;
    };
    for (let i = 0; i < 20; i++) await get(count + i); // warm-up: JIT, plans, pool
    matches = 0;
    const start = await meter.snapshot();
    const client0 = process.cpuUsage();
    const latency = await timed(count, 1, get);
    const client = process.cpuUsage(client0);
    const cpu = await meter.since(start);
    const ms = (s: number) => Math.round((s * 1e5) / count) / 100;
    out[name] = {
      p50: latency.p50,
      p99: latency.p99,
      meanMatches: name === 'read' ? undefined : Math.round((matches / count) * 10) / 10,
      serverCpuMs: ms(cpu.serverCpuSeconds),
      postgresCpuMs: ms(cpu.postgresCpuSeconds),
      clientCpuMs: ms((client.user + client.system) / 1e6),
      example: path(0),
    };
  }
  out['loadAverageAtEnd'] = loadavg().map((x) => Math.round(x * 100) / 100);
  console.log(JSON.stringify(out, null, 2));
} finally {
  await meter.close();
  await server.stop();
  await auth.close();
}
