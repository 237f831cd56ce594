/**
 * Server CPU per request for the hottest REST interactions, without a profiler attached: a fresh server process
 * (bench/server-process.ts, same as `npm start`), `POST /fhir/Patient` from 16 clients, `GET /fhir/Patient/{id}`
 * from 16 clients, then `POST /fhir/Observation` (a lab result of one of those patients: the per-resource write
 * without the Patient duplicate check) from 16 clients, each phase measured as server and PostgreSQL CPU (/proc
 * ticks) and PostgreSQL transactions (pg_stat_database) per request. Prints one JSON object.
 * Usage: npx tsx bench/request-cpu.ts [creates=3000] [reads=3000] [store=postgres] [auth=off|on] [names=distinct|common]
 *   [observations=3000]   (observations=0: no Observation phase, nor its warm-up)
 * NILECARE_BENCH_READ_CLIENTS=1: the reads one at a time, as the bench's read-by-id figure (default 16 clients).
 * The creates are sent by http-figures.ts's postFhir (node:http; NILECARE_BENCH_CLIENT=fetch: the global fetch, as before
 * session 38); each phase reports this process's own CPU per request (`clientCpuUsPerRequest`: the load generator shares
 * the 2 cores with the server).
 * Each phase reports its window on CLOCK_MONOTONIC (µs), the clock of the server's V8 CPU profile; with CPU_PROF_DIR the
 * profile is also written cut to each phase (`<profile>.creates.cpuprofile`, `.reads`, `.observations`: the samples
 * of that window only, without start-up and warm-up) for bench/profile-summary.ts.
 * (auth on: SMART with a backend-services token and the audit trail, bench/auth-mode.ts; names: the created patients
 * are distinct realistic people, or with `common` all the same name — bench/bench-patients.ts — so that after the
 * 300 warm-up creates — NILECARE_BENCH_WARMUP_CREATES — each measured create's duplicate check meets 300 and more
 * namesakes)
 * With NILECARE_BENCH_STATEMENT_CPU=on (PostgreSQL server, superuser, the server log readable) each phase also lists
 * the PostgreSQL CPU of its biggest statements per request, parse / bind (planning) / execute apart
 * (bench/statement-cpu.ts); the log costs CPU itself, so compare the totals of runs without it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { parseOptions } from './options.js';
import { cutProfile } from './profile-cut.js';
import { freshDatabase, startServer } from './server-process.js';
import { CpuMeter } from './cpu-meter.js';
import { timed } from './stats.js';
import { authHeader, authSetup } from './auth-mode.js';
import { commonNamePatient, distinctPatient } from './bench-patients.js';
import { logSize, logStatementCpu, statementCpu } from './statement-cpu.js';
import { postFhir } from './http-figures.js';

const [
  createsArg = '3000',
  readsArg = '3000',
  store = 'postgres',
  authArg = 'off',
  names = 'distinct',
  observationsArg = '3000',
] = process.argv.slice(2);
// CPU_PROF_DIR=dir: the server's V8 CPU profile (bench/profile-summary.ts reads it)
const options = { ...parseOptions(['--store', store]), cpuProfDir: process.env.CPU_PROF_DIR || undefined };
// creates before the measured ones (with `common`: the namesakes each measured create's duplicate check meets)
const warmupCreates = Number(process.env.NILECARE_BENCH_WARMUP_CREATES ?? 300);
// clients reading at once (1: sequential reads, as the bench's read-by-id figure; its p50 is reported)
const readClients = Number(process.env.NILECARE_BENCH_READ_CLIENTS ?? 16);
const db = await freshDatabase(options);
const byStatement = process.env.NILECARE_BENCH_STATEMENT_CPU === 'on' && db.postgresDbName !== undefined;
if (byStatement) await logStatementCpu(options.postgresAdminUrl, db.postgresDbName!);
const auth = authSetup(authArg === 'on' ? 'on' : 'off');
const server = await startServer(db, options, auth);
const meter = await CpuMeter.open(
  server.pid,
  db.postgresDbName ? { adminUrl: options.postgresAdminUrl, dbName: db.postgresDbName } : undefined,
);
const admin = db.postgresDbName ? new pg.Client({ connectionString: options.postgresAdminUrl }) : undefined;
await admin?.connect();

async function transactions(): Promise<number> {
  if (!admin) return 0;
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const res = await admin.query<{ n: string }>(
    'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1',
    [db.postgresDbName],
  );
  return Number(res.rows[0]?.n ?? 0);
}

// distinct realistic people (bench/bench-patients.ts), or with `common` all named محمد أحمد علي (distinct birth dates)
const patient = (i: number) =>
  JSON.stringify(names === 'common' ? commonNamePatient(1, i, 'C') : distinctPatient(1, i, 'C'));

const ids: string[] = [];

async function create(i: number) {
  const res = await postFhir(`${server.baseUrl}/fhir/Patient`, patient(i));
  const body = JSON.parse(res.text) as { id?: string };
  if (res.status !== 201 || !body.id) throw new Error(`create answered ${res.status}`);
  ids.push(body.id);
}
async function read(i: number) {
  const id = ids[(i * 7919) % ids.length]!;
  const res = await fetch(`${server.baseUrl}/fhir/Patient/${id}`, {
    headers: { accept: 'application/fhir+json', ...authHeader() },
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`read answered ${res.status}`);
}

const LABS = [
  ['718-7', 'Hemoglobin [Mass/volume] in Blood', 'g/dL', 13.5],
  ['2345-7', 'Glucose [Mass/volume] in Serum or Plasma', 'mg/dL', 95],
  ['2160-0', 'Creatinine [Mass/volume] in Serum or Plasma', 'mg/dL', 1.5],
] as const;
const observation = (i: number) => {
  const [code, display, unit, value] = LABS[i % LABS.length]!;
  return JSON.stringify({
    resourceType: 'Observation',
    identifier: [{ system: 'urn:nilecare:bench:obx', value: `O-${process.pid}-${i}` }],
    status: 'final',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'laboratory',
            display: 'Laboratory',
          },
        ],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code, display }], text: display },
    subject: { reference: `Patient/${ids[i % ids.length]!}` },
    effectiveDateTime: `2026-0${1 + (i % 9)}-1${i % 10}T08:30:00+03:00`,
    issued: '2026-12-07T09:00:00.000+03:00',
    valueQuantity: { value: value + (i % 7) / 10, unit, system: 'http://unitsofmeasure.org', code: unit },
    interpretation: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'N' }],
      },
    ],
    referenceRange: [{ low: { value: value * 0.8, unit }, high: { value: value * 1.2, unit } }],
  });
};
async function createObservation(i: number) {
  const res = await fetch(`${server.baseUrl}/fhir/Observation`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', ...authHeader() },
    body: observation(i),
  });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`Observation create answered ${res.status}`);
}

/** [user, system] CPU ticks (1/100 s) of the server process. */
function userSystemTicks(): [number, number] {
  const stat = readFileSync(`/proc/${server.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(fields[11]), Number(fields[12])];
}

/** CPU ticks per thread name (main thread = the process name; V8 GC helpers = "V8 Worker"; libuv pool…). */
function threadTicks(): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${server.pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${server.pid}/task/${tid}/stat`, 'utf8');
      const name =
        tid === String(server.pid)
          ? 'main'
          : stat
              .slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
              .replace(/\d+$/, '')
              .trim();
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byName.set(name, (byName.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]));
    } catch {
      /* thread ended */
    }
  }
  return byName;
}

async function phase(count: number, run: (i: number) => Promise<void>, clients = 16) {
  const tx0 = await transactions();
  const start = await meter.snapshot();
  const [user0, system0] = userSystemTicks();
  const threads0 = threadTicks();
  const logFrom = byStatement ? logSize() : 0;
  const from = new Date();
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const client0 = process.cpuUsage();
  const latency = await timed(count, clients, run);
  const client = process.cpuUsage(client0);
  const toUs = Number(process.hrtime.bigint() / 1000n);
  const cpu = await meter.since(start);
  const to = new Date();
  const [user1, system1] = userSystemTicks();
  const threads = Object.fromEntries(
    [...threadTicks()]
      .map(([name, ticks]) => [name, Math.round(((ticks - (threads0.get(name) ?? 0)) * 1e4) / count)])
      .filter(([, us]) => Number(us) > 0),
  );
  const tx = (await transactions()) - tx0; // the meters connect to the admin database, not this one
  return {
    count,
    clients,
    p50Ms: latency.p50,
    perSecondWall: latency.perSecond,
    serverCpuUsPerRequest: Math.round((cpu.serverCpuSeconds * 1e6) / count),
    serverSystemCpuUsPerRequest: Math.round(((system1 - system0) * 1e4) / count),
    serverUserCpuUsPerRequest: Math.round(((user1 - user0) * 1e4) / count),
    serverCpuUsPerRequestByThread: threads,
    postgresCpuUsPerRequest: Math.round((cpu.postgresCpuSeconds * 1e6) / count),
    // this process (the load generator, on the same cores): creates through postFhir (NILECARE_BENCH_CLIENT)
    clientCpuUsPerRequest: Math.round((client.user + client.system) / count),
    postgresTransactionsPerRequest: admin ? Math.round((tx / count) * 100) / 100 : null,
    cpuBoundPerSecondOn2Cores: Math.round((2 * count) / (cpu.serverCpuSeconds + cpu.postgresCpuSeconds)),
    ...(byStatement ? { postgresCpuByStatement: statementCpu(db.postgresDbName!, from, to, count, 12, logFrom) } : {}),
    // CLOCK_MONOTONIC µs, the clock of the server's V8 CPU profile (its startTime/timeDeltas): the phase's window
    monotonicUs: [fromUs, toUs] as [number, number],
  };
}

// each measured phase's CLOCK_MONOTONIC window (µs), to cut the server's CPU profile by
const windows: Record<string, [number, number]> = {};
try {
  // Warm-up: JIT, pool connections, plan caches.
  await timed(warmupCreates, 16, (i) => create(1_000_000 + i));
  await timed(300, readClients, read);
  if (Number(observationsArg) > 0) await timed(300, 16, (i) => createObservation(1_000_000 + i));
  const creates = await phase(Number(createsArg), create);
  const reads = await phase(Number(readsArg), read, readClients);
  const observations = Number(observationsArg) > 0 ? await phase(Number(observationsArg), createObservation) : null;
  Object.assign(windows, { creates: creates.monotonicUs, reads: reads.monotonicUs });
  if (observations) windows['observations'] = observations.monotonicUs;
  console.log(
    JSON.stringify({ store, auth: authArg === 'on' ? 'on' : 'off', names, creates, reads, observations }, null, 2),
  );
} finally {
  await admin?.end();
  await meter.close();
  await server.stop();
  if (options.cpuProfDir) cutProfile('request-cpu', options.cpuProfDir, server.pid, windows);
  await auth.close();
  await db.drop();
}
