/**
 * Read by id and the five bench searches on a database kept by `npm run bench -- --keep-db` (no loading, so two
 * versions of the server can be compared on the same data in a few minutes): starts the server of this checkout on
 * that database (auth on: a backend-services token, audit on, as the bench of record), samples patients from the
 * database, then per figure `count` sequential requests: p50/p99 ms, and server, PostgreSQL and client (this process)
 * CPU ms per request. Prints one JSON object.
 * Figure `lastn` is the bench's `$lastn` request (bench/lastn-phase.ts) for patients with a coded, dated Observation.
 * Usage: npx tsx bench/read-search-figures.ts <database> [count=300] [auth=on|off] [figures=read,patientByName,…,lastn]
 *   (CPU_PROF_DIR=dir: the server's V8 CPU profile, and beside it that profile cut to each figure's measured window,
 *   `<profile>.<figure>.cpuprofile`, without start-up, warm-up or the other figures: bench/profile-summary.ts reads both)
 */
import { loadavg } from 'node:os';
import { parseOptions } from './options.js';
import { cutProfile } from './profile-cut.js';
import { startServer, type FreshDatabase } from './server-process.js';
import { CpuMeter } from './cpu-meter.js';
import { authHeader, authSetup } from './auth-mode.js';
import { SEARCHES, type SearchName } from './http-figures.js';
import { timed } from './stats.js';
import { lastnQuery } from './lastn-phase.js';
import { samplePatients } from './sample-patients.js';

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

const samples = await samplePatients(url.toString(), 200);
const auth = authSetup(authArg === 'off' ? 'off' : 'on');
const server = await startServer(db, options, auth);
const meter = await CpuMeter.open(server.pid, { adminUrl: options.postgresAdminUrl, dbName });
/** CLOCK_MONOTONIC µs (the clock of the server's V8 CPU profile) of each figure's measured requests. */
const windows: Record<string, [number, number]> = {};
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
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const latency = await timed(count, 1, get);
    windows[name] = [fromUs, Number(process.hrtime.bigint() / 1000n)];
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
if (options.cpuProfDir) cutProfile('read-search-figures', options.cpuProfDir, server.pid, windows);
