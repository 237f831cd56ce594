/**
 * `npm run bench`: starts the server (its own process, as `npm start` does) on a fresh database of the chosen store,
 * loads Synthea, scales the database up, drives it over HTTP and MLLP from this process with bounded concurrency on
 * 127.0.0.1, and prints one JSON object of figures on stdout (progress goes to stderr). See bench/README.md.
 * Usage: npm run bench -- [--store pglite|postgres|mongo] [--resources 1000000] [--concurrency 16] [--quick]
 *        [--auth on|off|both] (default both: the run with auth on, then creates/reads/searches with auth off)
 *        [--reuse-db <database>] (a PostgreSQL database kept by an earlier --keep-db run: no loading, the request,
 *        $lastn, compression and HL7 figures on that data with this checkout's server; not the subscription lag)
 */
import { availableParallelism, loadavg } from 'node:os';
import { OptionError, parseOptions, type BenchOptions } from './options.js';
import { freshDatabase, startServer, type FreshDatabase, type MemoryMb, type ServerProcess } from './server-process.js';
import { cleanUpOnSignal, exitWithParent, stopChildren } from './child-processes.js';
import { authHeader, authSetup } from './auth-mode.js';
import { SYNTHEA, syntheaPresent } from './synthea-data.js';
import { ingestSynthea, scaleUp, type IngestResult, type PatientSample } from './load-data.js';
import {
  measureCommonNameCreates,
  measureCreates,
  measureReads,
  measureSearches,
  SEARCHES,
  type CreateFigures,
  type SearchName,
} from './http-figures.js';
import { CpuMeter } from './cpu-meter.js';
import { measureHl7 } from './hl7-figure.js';
import { measureSubscriptionLag } from './subscription-lag-phase.js';
import { lastnFigure, type RunPhase } from './lastn-phase.js';
import { countResources, samplePatients } from './sample-patients.js';
import { compressionFigures } from './compression-phase.js';
import { atLeast, atMost, info, latencyDetail, TARGETS, type Figure } from './figures.js';

const log = (line: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

type Measured = {
  figures: Record<string, Figure | null>;
  cpu: Record<string, CpuPhase>;
  /** The server's resident memory (VmRSS) and its peak so far (VmHWM) after start-up and after each phase, in MB. */
  memory: Record<string, MemoryMb>;
  errors: Record<string, string>;
};
type Output = Measured & {
  context: Record<string, unknown>;
  /** With --auth both: creates, reads and searches again on the same database with auth off. */
  comparison?: Measured & { auth: 'off' };
  /** Auth-on CPU (server + PostgreSQL) per unit over auth-off, per phase. */
  authCost?: Record<string, number | null>;
};
type CpuPhase = Awaited<ReturnType<CpuMeter['since']>> & {
  units: number;
  serverCpuMsPerUnit: number;
  /**
   * The server's CPU per unit split (issue 20; bench/cpu-meter.ts): GC pauses on the main thread, JavaScript (the
   * main thread less those pauses) and the server's other threads (V8's concurrent GC and background compilation, the
   * libuv pool); null when the server's /metrics could not be read.
   */
  gcPauseMsPerUnit: number | null;
  javascriptMsPerUnit: number | null;
  serverOtherThreadsMsPerUnit: number;
  postgresCpuMsPerUnit: number;
  cpuBoundUnitsPerSecond: number | null;
  /** Seconds this phase waited before it started for the store's background VACUUM/ANALYZE (cpu-meter.ts settle). */
  maintenanceWaitSeconds?: number;
};

let meter: CpuMeter | undefined;
let serverRef: ServerProcess | undefined;

/** Runs one phase; records its failure instead of stopping the run, and its CPU use per unit of work. */
async function phase<T>(
  out: Measured,
  name: string,
  fn: () => Promise<T>,
  units?: (result: T) => number,
): Promise<T | undefined> {
  // the store's background VACUUM/ANALYZE set off by earlier writes is not this phase's work (cpu-meter.ts)
  const maintenanceWaitSeconds = (await meter?.settle()) ?? 0;
  if (maintenanceWaitSeconds > 0) log(`${name}: waited ${maintenanceWaitSeconds} s for the store's VACUUM/ANALYZE`);
  log(`${name} …`);
  const t0 = performance.now();
  const cpuStart = await meter?.snapshot();
  try {
    const result = await fn();
    log(`${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    recordMemory(out, name);
    if (meter && cpuStart && units) {
      const usage = await meter.since(cpuStart);
      if (serverRef?.exitInfo()) return result; // CPU of a process that is gone cannot be measured
      const n = units(result);
      const cpu = usage.serverCpuSeconds + usage.postgresCpuSeconds;
      const r = (x: number) => Math.round(x * 100) / 100;
      const perUnit = (seconds: number) => r((seconds * 1000) / Math.max(1, n));
      const gc = usage.gcPauseSeconds;
      out.cpu[name] = {
        ...usage,
        units: n,
        serverCpuMsPerUnit: perUnit(usage.serverCpuSeconds),
        gcPauseMsPerUnit: gc === null ? null : perUnit(gc),
        // CPU ticks are 10 ms: on a short phase the main thread's CPU may read below its GC pauses
        javascriptMsPerUnit: gc === null ? null : perUnit(Math.max(0, usage.serverMainThreadCpuSeconds - gc)),
        serverOtherThreadsMsPerUnit: perUnit(Math.max(0, usage.serverCpuSeconds - usage.serverMainThreadCpuSeconds)),
        postgresCpuMsPerUnit: r((usage.postgresCpuSeconds * 1000) / Math.max(1, n)),
        cpuBoundUnitsPerSecond: cpu > 0 ? Math.round((n * availableParallelism()) / cpu) : null,
        ...(maintenanceWaitSeconds > 0 ? { maintenanceWaitSeconds } : {}),
      };
    }
    return result;
  } catch (error) {
    out.errors[name] = (error as Error)?.message ?? String(error);
    const died = serverRef?.exitInfo();
    if (died) out.errors[name] += ` — the server process ended: ${died}`;
    log(`${name} FAILED: ${out.errors[name]}`);
    return undefined;
  }
}

/** The server's memory now, under `name` (nothing once the process is gone). */
function recordMemory(out: Measured, name: string): void {
  if (!serverRef || serverRef.exitInfo()) return;
  try {
    out.memory[name] = serverRef.memoryMb();
  } catch {
    // the process ended meanwhile
  }
}

/** The first point of `memory` at which VmHWM had reached `peakMb`: where the run's peak was made. */
function peakMadeBy(memory: Record<string, MemoryMb>, peakMb: number): string | undefined {
  return Object.entries(memory).find(([, m]) => m.peakRssMb >= peakMb)?.[0];
}

/** The ingest figure (Synthea), then the database scaled up to --resources; the patients loaded on the way. */
async function loadAndScale(
  options: BenchOptions,
  out: Output,
  baseUrl: string,
): Promise<{ resources: number; samples: PatientSample[] }> {
  let resources = 0;
  let samples: PatientSample[] = [];
  const ingest: IngestResult | undefined = await phase(
    out,
    'ingest',
    () => ingestSynthea(baseUrl, options.loadConcurrency, options.quick ? 1 : undefined),
    (r) => r.resources,
  );
  out.figures['ingest'] = ingest
    ? atLeast(ingest.perSecond, TARGETS.ingestPerSecond, 'resources/s', {
        resources: ingest.resources,
        seconds: ingest.seconds,
        bundles: ingest.bundles,
        concurrency: options.loadConcurrency,
      })
    : null;
  if (ingest) {
    resources += ingest.resources;
    samples = ingest.samples;
  }

  const scale = await phase(
    out,
    'scale',
    () => scaleUp(baseUrl, options.resources - resources, options.loadConcurrency, log, options.maxScaleMinutes),
    (r) => r.resources,
  );
  if (scale) {
    resources += scale.resources;
    samples = [...samples, ...scale.samples];
    out.figures['scaleLoad'] = info(scale.perSecond, 'resources/s', {
      resources: scale.resources,
      seconds: scale.seconds,
      transactions: scale.transactions,
      concurrency: options.loadConcurrency,
      stoppedByTimeLimit: scale.stoppedByTimeLimit,
    });
  } else out.figures['scaleLoad'] = null;

  return { resources, samples };
}

async function bench(options: BenchOptions, out: Output, server: ServerProcess): Promise<PatientSample[]> {
  const { baseUrl } = server;
  let resources: number;
  let samples: PatientSample[];
  if (options.reuseDb) {
    // --reuse-db: the data is there already; patients are sampled from it and loading is not measured
    const url = databaseUrl(options, options.reuseDb);
    resources = await countResources(url);
    samples = await samplePatients(url, 200);
    out.context['reusedDatabase'] = options.reuseDb;
    for (const figure of ['ingest', 'scaleLoad'])
      out.errors[figure] = `not run (--reuse-db ${options.reuseDb}: measured on the existing data)`;
  } else {
    const loaded = await loadAndScale(options, out, baseUrl);
    resources = loaded.resources;
    samples = loaded.samples;
  }

  // a server started on data it did not load has done nothing yet: JIT, plan caches and pools warmed first
  if (options.reuseDb) out.context['warmUp'] = await warmUp(options, baseUrl, samples);
  resources += await requestFigures(options, out, baseUrl, samples);
  // issue #25: $lastn and response compression (bench/lastn-phase.ts, bench/compression-phase.ts)
  const runPhase: RunPhase = (name, fn, units) => phase(out, name, fn, units);
  out.figures['lastn'] = await lastnFigure(runPhase, baseUrl, samples, options.samples);
  Object.assign(out.figures, await compressionFigures(runPhase, baseUrl, samples, options.samples));

  // The figure of record is the known-patients mix (results for patients the server knows, as an interface engine
  // sends them); every message a new patient is reported beside it (bench/hl7-traffic.ts).
  for (const [figure, traffic] of [
    ['hl7', 'known-patients'],
    ['hl7NewPatients', 'new-patients'],
  ] as const) {
    const hl7 =
      options.hl7Messages > 0
        ? await phase(
            out,
            figure,
            () => measureHl7(server.mllpPort, options.hl7Messages, options.concurrency, { traffic }),
            (r) => ('skipped' in r ? 0 : r.count + r.usable),
          )
        : undefined;
    if (hl7 && !('skipped' in hl7)) {
      out.figures[figure] = atLeast(hl7.perSecond, TARGETS.hl7PerSecond, 'messages/s', {
        ...latencyDetail(hl7),
        traffic,
        patients: hl7.patients,
        connections: options.concurrency,
        accepted: hl7.messagesAccepted,
        ...(hl7.firstRejection ? { firstRejection: hl7.firstRejection } : {}),
        corpusOruR01: hl7.corpusMessages,
        usableOruR01: hl7.usable,
        listener: "the server's own (MLLP_PORT, message log in a fresh MySQL database)",
      });
    } else {
      out.figures[figure] = null;
      out.errors[figure] ??= hl7 && 'skipped' in hl7 ? hl7.skipped : 'not run (--hl7-messages 0)';
    }
  }
  // its own app, store and receiver in a child process (bench/subscription-lag.ts): not on the database above, so
  // a --reuse-db run (the figures that depend on the data) leaves it out
  if (options.reuseDb) {
    for (const figure of ['subscriptionLag', 'subscriptionLagMatching1'])
      out.errors[figure] = 'not run (--reuse-db: independent of the data; npx tsx bench/subscription-lag.ts)';
  } else {
    const lag = await phase(out, 'subscriptionLag', () => measureSubscriptionLag(options));
    out.figures['subscriptionLag'] = lag ?? null;
    // each write reaching one of the 1,000 subscriptions (each watching a code of its own) beside 10 per write
    const lag1 = await phase(out, 'subscriptionLagMatching1', () => measureSubscriptionLag(options, 1));
    out.figures['subscriptionLagMatching1'] = lag1 ?? null;
  }
  out.context['resources'] = resources;
  return samples;
}

/**
 * Unmeasured requests of every kind the request figures make, on a freshly started server (the auth-off comparison
 * server, a --reuse-db run's server), so that its first measured phase does not carry JIT compilation and cold
 * caches that a server which has loaded the data has behind it. Returns what it sent.
 */
async function warmUp(
  options: BenchOptions,
  baseUrl: string,
  samples: PatientSample[],
): Promise<{ creates: number; reads: number; searches: number }> {
  log('warm-up (not measured) …');
  const creates = Math.min(options.creates, 300);
  const created = await measureCreates(baseUrl, creates, options.concurrency);
  const reads = Math.min(options.samples, 200);
  await measureReads(baseUrl, created.ids, reads);
  const searches = Math.min(options.samples, 50);
  await measureSearches(baseUrl, samples, searches);
  return { creates: created.ids.length, reads, searches: searches * Object.keys(SEARCHES).length };
}

/** Creates (sequential, concurrent), read by id and the searches; returns how many resources were created. */
async function requestFigures(
  options: BenchOptions,
  out: Measured,
  baseUrl: string,
  samples: PatientSample[],
): Promise<number> {
  const creates: CreateFigures | undefined = await phase(
    out,
    'creates',
    () => measureCreates(baseUrl, options.creates, options.concurrency),
    (r) => r.ids.length,
  );
  out.figures['createSequential'] = creates
    ? info(creates.sequential.perSecond, 'requests/s', latencyDetail(creates.sequential))
    : null;
  out.figures['createConcurrent'] = creates
    ? atLeast(creates.concurrent.perSecond, TARGETS.concurrentCreatesPerSecond, 'requests/s', {
        ...latencyDetail(creates.concurrent),
        clients: options.concurrency,
      })
    : null;

  const reads = creates
    ? await phase(
        out,
        'reads',
        () => measureReads(baseUrl, creates.ids, options.samples),
        (r) => r.count,
      )
    : undefined;
  out.figures['readById'] = reads ? atMost(reads.p50, TARGETS.readP50Ms, 'ms p50', latencyDetail(reads)) : null;

  for (const name of Object.keys(SEARCHES) as SearchName[]) {
    const s = (
      await phase(
        out,
        `search.${name}`,
        () => measureSearches(baseUrl, samples, options.samples, [name]),
        () => options.samples,
      )
    )?.[name];
    out.figures[`search.${name}`] = s
      ? atMost(s.p50, TARGETS.searchP50Ms, 'ms p50', {
          ...latencyDetail(s),
          meanMatches: s.meanMatches,
          example: s.example,
        })
      : null;
  }

  // the duplicate check on create when one name is common (after the searches: these namesakes do not feed them)
  let commonCreated = 0;
  if (options.commonNameCreates > 0) {
    const common = await phase(
      out,
      'createsCommonName',
      () => measureCommonNameCreates(baseUrl, options.commonNameCreates, options.concurrency),
      (r) => r.count,
    );
    out.figures['createCommonName'] = common
      ? info(common.perSecond, 'requests/s', { ...latencyDetail(common), clients: options.concurrency })
      : null;
    commonCreated = common?.count ?? 0;
  }

  return (creates?.ids.length ?? 0) + commonCreated;
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof OptionError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  if (!syntheaPresent()) {
    console.error(`Synthea corpus not found at ${SYNTHEA} (set NILECARE_CORPUS): the benchmark needs it`);
    process.exit(2);
  }
  const started = Date.now();
  const out: Output = {
    context: {
      store: options.store,
      resources: 0,
      targetResources: options.resources,
      cores: availableParallelism(),
      loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
      node: process.version,
      quick: options.quick,
      concurrency: options.concurrency,
      loadConcurrency: options.loadConcurrency,
      startedAt: new Date(started).toISOString(),
    },
    figures: {},
    cpu: {},
    memory: {},
    errors: {},
  };
  const db = await freshDatabase(options);
  log(`store: ${db.description}`);
  const mode = options.auth === 'off' ? 'off' : 'on';
  out.context['auth'] =
    mode === 'on' ? 'on (SMART, backend-services token system/*.cruds, audit on)' : 'off (NILECARE_AUTH=disabled)';
  let server: ServerProcess | undefined;
  let auth = authSetup(mode);
  // a run stopped by SIGTERM/SIGINT (a test's timeout, ^C) stops its server and drops its databases
  cleanUpOnSignal(async () => {
    await stopChildren();
    await auth.close().catch(() => undefined);
    await db.drop();
  }, log);
  exitWithParent(); // a test that started this run and died: the same clean-up
  try {
    server = await startServer(db, options, auth);
    serverRef = server;
    out.context['serverPid'] = server.pid;
    recordMemory(out, 'afterStart');
    meter = await openMeter(server, db, options);
    const samples = await bench(options, out, server);
    const peak = server.peakRssMb();
    out.figures['peakRss'] = atMost(peak, TARGETS.peakRssMb, 'MB (server VmHWM)', {
      madeBy: peakMadeBy(out.memory, peak) ?? 'the end of the run',
      afterStartMb: out.memory['afterStart']?.peakRssMb,
    });
    if (options.auth === 'both') {
      await meter.close();
      await server.stop();
      await auth.close();
      log('comparison: the same database with auth off …');
      auth = authSetup('off');
      server = await startServer(db, options, auth);
      serverRef = server;
      meter = await openMeter(server, db, options);
      const comparison: NonNullable<Output['comparison']> = {
        auth: 'off',
        figures: {},
        cpu: {},
        memory: {},
        errors: {},
      };
      recordMemory(comparison, 'afterStart');
      out.comparison = comparison;
      await warmUp(options, server.baseUrl, samples); // as warm as the auth-on server it is compared with
      await requestFigures(options, comparison, server.baseUrl, samples);
      for (const [name, message] of Object.entries(comparison.errors)) out.errors[`comparison.${name}`] = message;
      out.authCost = Object.fromEntries(
        Object.entries(comparison.cpu).map(([name, off]) => [name, cpuRatio(out.cpu[name], off)]),
      );
    }
  } catch (error) {
    out.errors['server'] = (error as Error)?.message ?? String(error);
  } finally {
    await meter?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await auth.close().catch(() => undefined);
    await db.drop().catch((e) => log(`could not drop the database: ${(e as Error).message}`));
  }
  out.context['loadAverageAtEnd'] = loadavg().map((x) => Math.round(x * 100) / 100);
  out.context['durationSeconds'] = Math.round((Date.now() - started) / 1000);
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  process.exitCode = Object.keys(out.errors).length > 0 ? 1 : 0;
}

function databaseUrl(options: BenchOptions, name: string): string {
  const url = new URL(options.postgresAdminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function openMeter(server: ServerProcess, db: FreshDatabase, options: BenchOptions): Promise<CpuMeter> {
  return CpuMeter.open(
    server.pid,
    db.postgresDbName ? { adminUrl: options.postgresAdminUrl, dbName: db.postgresDbName } : undefined,
    { baseUrl: server.baseUrl, headers: authHeader },
  );
}

/** (server + PostgreSQL CPU per unit) with auth on over the same with auth off. */
function cpuRatio(on: CpuPhase | undefined, off: CpuPhase): number | null {
  if (!on) return null;
  const perUnit = (c: CpuPhase) => c.serverCpuMsPerUnit + c.postgresCpuMsPerUnit;
  return perUnit(off) > 0 ? Math.round((perUnit(on) / perUnit(off)) * 100) / 100 : null;
}

await main();
