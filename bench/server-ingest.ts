/**
 * Why the first load of a fresh server costs more than later ones (issue #20): the bench's Synthea ingest split into
 * its parts, each with wall time, CPU of the server and of the PostgreSQL backends per resource, and the server's RSS
 * after it — the reference bundles (batch, `ifNoneExist`, one at a time), the patient transactions (`--load-concurrency`
 * in flight), then `--resources` of scaling copies, then the same patient transactions again (new copies: the server
 * is warm, the reference resources exist), at `--load-concurrency` and at twice it, then the reference bundles
 * again on the warm server with every identifier made new (`referenceFresh`: every conditional create creates).
 * `--parts a,b` runs only the named parts (in the order above), e.g. `--parts reference,referenceFresh`;
 * `--statement-cpu` adds each part's PostgreSQL CPU per statement per resource (bench/statement-cpu.ts: the server's
 * statement log, which slows the database down — for where the time goes, not for the rate).
 * Usage: npx tsx bench/server-ingest.ts [--auth on|off] [--resources 6000] [--load-concurrency 4] [--parts …]
 * (one JSON object)
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseOptions } from './options.js';
import { freshDatabase, startServer, vmRssMb } from './server-process.js';
import { authSetup } from './auth-mode.js';
import { postBundle, scaleUp } from './load-data.js';
import { pipesFiles } from './synthea-data.js';
import { runPool } from './stats.js';
import { CpuMeter } from './cpu-meter.js';
import { logSize, logStatementCpu, statementCpu } from './statement-cpu.js';

type Json = Record<string, any>;
const log = (m: string) => console.error(`[ingest] ${m}`);
const createdIn = (r: Json) =>
  ((r['entry'] ?? []) as Json[]).filter((e) => String(e['response']?.status).startsWith('201')).length;

const PARTS = ['reference', 'patients', 'scale', 'patientsAgain', 'patientsAgainDoubleConcurrency', 'referenceFresh'];
const argv = process.argv.slice(2);
const partsAt = argv.indexOf('--parts');
const chosen = partsAt >= 0 ? new Set(argv.splice(partsAt, 2)[1]?.split(',')) : new Set(PARTS);
for (const name of chosen)
  if (!PARTS.includes(name)) throw new Error(`--parts: unknown part ${name} (${PARTS.join()})`);
const statementsAt = argv.indexOf('--statement-cpu');
const byStatement = statementsAt >= 0;
if (byStatement) argv.splice(statementsAt, 1);
const options = parseOptions(argv);
const db = await freshDatabase(options);
if (byStatement) await logStatementCpu(options.postgresAdminUrl, db.postgresDbName!);
const auth = authSetup(options.auth === 'off' ? 'off' : 'on');
const server = await startServer(db, options, auth);
const meter = await CpuMeter.open(
  server.pid,
  db.postgresDbName ? { adminUrl: options.postgresAdminUrl, dbName: db.postgresDbName } : undefined,
);
const parts: Record<string, unknown> = {
  afterStart: { rssMb: vmRssMb(server.pid), peakRssMb: server.peakRssMb() },
};

async function part(name: string, fn: () => Promise<number>): Promise<void> {
  if (!chosen.has(name)) return;
  const start = await meter.snapshot();
  const logFrom = byStatement ? logSize() : 0;
  const from = new Date();
  const resources = await fn();
  const cpu = await meter.since(start);
  const statements = byStatement
    ? { postgresCpuByStatement: statementCpu(db.postgresDbName!, from, new Date(), resources, 15, logFrom) }
    : {};
  const per = (s: number) => Math.round((s * 1000 * 100) / Math.max(1, resources)) / 100;
  const cpuSeconds = cpu.serverCpuSeconds + cpu.postgresCpuSeconds;
  parts[name] = {
    resources,
    ...cpu,
    perSecond: Math.round(resources / cpu.wallSeconds),
    serverCpuMsPerResource: per(cpu.serverCpuSeconds),
    postgresCpuMsPerResource: per(cpu.postgresCpuSeconds),
    cpuBoundPerSecond: cpuSeconds > 0 ? Math.round((resources * availableParallelism()) / cpuSeconds) : null,
    rssMb: vmRssMb(server.pid),
    peakRssMb: server.peakRssMb(),
    ...statements,
  };
  log(`${name}: ${JSON.stringify(parts[name])}`);
}

try {
  const { reference, patients } = pipesFiles();
  const text = (f: string) => JSON.stringify(JSON.parse(readFileSync(f, 'utf8')));
  const patientBodies = patients.map(text);
  const postAll = async (concurrency: number) => {
    let n = 0;
    await runPool(patientBodies.length, concurrency, async (i) => {
      const created = createdIn(await postBundle(server.baseUrl, patientBodies[i]!));
      n += created;
    });
    return n;
  };
  await part('reference', async () => {
    let n = 0;
    for (const f of reference) n += createdIn(await postBundle(server.baseUrl, text(f)));
    return n;
  });
  await part('patients', () => postAll(options.loadConcurrency));
  await part(
    'scale',
    async () => (await scaleUp(server.baseUrl, options.resources, options.loadConcurrency, log)).resources,
  );
  await part('patientsAgain', () => postAll(options.loadConcurrency));
  await part('patientsAgainDoubleConcurrency', () => postAll(options.loadConcurrency * 2));
  // every identifier value made new: the warm server's batch path creating, not matching
  const fresh = `-${Date.now().toString(36)}`;
  await part('referenceFresh', async () => {
    let n = 0;
    for (const f of reference) {
      const bundle = JSON.parse(text(f)) as Json;
      for (const entry of bundle['entry'] as Json[]) {
        for (const identifier of (entry['resource']['identifier'] ?? []) as Json[]) identifier['value'] += fresh;
        if (entry['request']['ifNoneExist']) entry['request']['ifNoneExist'] += fresh; // `identifier=system|value`
      }
      n += createdIn(await postBundle(server.baseUrl, JSON.stringify(bundle)));
    }
    return n;
  });
} finally {
  await meter.close();
  await server.stop();
  await auth.close();
  await db.drop();
}
console.log(JSON.stringify({ benchmark: 'server-ingest', store: options.store, auth: options.auth, parts }, null, 2));
