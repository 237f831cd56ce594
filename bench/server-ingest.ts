/**
 * Why the first load of a fresh server costs more than later ones (issue #20): the bench's Synthea ingest split into
 * its parts, each with wall time, CPU of the server and of the PostgreSQL backends per resource, and the server's RSS
 * after it — the reference bundles (batch, `ifNoneExist`, one at a time), the patient transactions (`--load-concurrency`
 * in flight), then `--resources` of scaling copies, then the same patient transactions again (new copies: the server
 * is warm, the reference resources exist), at `--load-concurrency` and at twice it.
 * Usage: npx tsx bench/server-ingest.ts [--auth on|off] [--resources 6000] [--load-concurrency 4]   (one JSON object)
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

type Json = Record<string, any>;
const log = (m: string) => console.error(`[ingest] ${m}`);
const createdIn = (r: Json) =>
  ((r['entry'] ?? []) as Json[]).filter((e) => String(e['response']?.status).startsWith('201')).length;

const options = parseOptions(process.argv.slice(2));
const db = await freshDatabase(options);
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
  const start = await meter.snapshot();
  const resources = await fn();
  const cpu = await meter.since(start);
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
} finally {
  await meter.close();
  await server.stop();
  await auth.close();
  await db.drop();
}
console.log(JSON.stringify({ benchmark: 'server-ingest', store: options.store, auth: options.auth, parts }, null, 2));
