/**
 * The server's memory over a run: resident (VmRSS) and peak (VmHWM) of the server process, from /proc, right after
 * start-up (warm-up included), after the Synthea ingest, after scaling to `--resources`, and after creates — so
 * that start-up peaks and steady growth can be told apart; `phasePeakRssMb` is the highest VmRSS sampled (every 100 ms)
 * during that phase alone (VmHWM is the peak since start). Same server and options as bench/run.ts.
 * `--auth on` runs the server as the bench's figures of record do (SMART, a backend-services token, audit on);
 * the default here is off.
 * With `--hl7-messages N` (default 0 here), two HL7 phases follow the creates, as in bench/run.ts: N ORU^R01 for
 * known patients, then N for new patients (bench/hl7-figure.ts).
 * BENCH_HEAP_SNAPSHOTS=1: the server is started with `--heapsnapshot-signal=SIGUSR2` and sent SIGUSR2 after each phase
 * (the snapshots land in the repository's root folder, Heap.*.heapsnapshot; they cost memory while written).
 * Usage: npx tsx bench/server-memory.ts [--store postgres] [--resources 20000] [--auth on|off] [--hl7-messages 500]
 *   (one JSON object)
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseOptions } from './options.js';
import { freshDatabase, startServer } from './server-process.js';
import { ingestSynthea, scaleUp } from './load-data.js';
import { measureCreates } from './http-figures.js';
import { authHeader, authSetup } from './auth-mode.js';
import { measureHl7 } from './hl7-figure.js';
import { mainThreadTicks } from './cpu-meter.js';

function memoryMb(pid: number): { rssMb: number; peakRssMb: number; cpuSeconds: number; mainThreadCpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  // utime + stime (clock ticks, 100 per second): what a memory setting costs in GC work shows here
  const statLine = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const stat = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = Math.round((Number(stat[11]) + Number(stat[12])) / 10) / 10;
  return {
    rssMb: Math.round(kb('VmRSS') / 1024),
    peakRssMb: Math.round(kb('VmHWM') / 1024),
    cpuSeconds,
    mainThreadCpuSeconds: mainThreadTicks(pid) / 100,
  };
}

/** The server's own view (prom-client default metrics): V8 heap used / total and external memory, GC pauses. */
async function heapMb(baseUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(new URL('/metrics', baseUrl), { headers: authHeader() })).text();
  const metric = (name: string) =>
    Math.round(Number(new RegExp(`^nilecare_${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 1048576);
  let gcSeconds = 0;
  for (const m of text.matchAll(/^nilecare_nodejs_gc_duration_seconds_sum(?:\{[^}]*\})? (\S+)$/gm))
    gcSeconds += Number(m[1]);
  return {
    heapUsedMb: metric('nodejs_heap_size_used_bytes'),
    heapTotalMb: metric('nodejs_heap_size_total_bytes'),
    newSpaceMb: Math.round(
      Number(/^nilecare_nodejs_heap_space_size_total_bytes\{space="new"\} (\S+)$/m.exec(text)?.[1] ?? NaN) / 1048576,
    ),
    externalMb: metric('nodejs_external_memory_bytes'),
    // cumulative since start, as cpuSeconds: the GC pauses on the main thread (bench/cpu-meter.ts)
    gcPauseSeconds: Math.round(gcSeconds * 10) / 10,
  };
}

const argv = process.argv.slice(2);
if (!argv.some((a) => a.startsWith('--hl7-messages'))) argv.push('--hl7-messages', '0');
const options = parseOptions(argv);
const snapshots = process.env['BENCH_HEAP_SNAPSHOTS'] === '1';
if (snapshots)
  process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --heapsnapshot-signal=SIGUSR2`.trim();
const db = await freshDatabase(options);
const auth = authSetup(options.auth === 'on' ? 'on' : 'off');
const server = await startServer(db, options, auth);
const log = (m: string) => console.error(`[memory] ${m}`);
const points: Record<string, unknown> = {};
let phasePeakKb = 0;
const sampler = setInterval(() => {
  try {
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1] ?? 0);
    phasePeakKb = Math.max(phasePeakKb, kb);
  } catch {
    // the server has exited
  }
}, 100);
/** The highest VmRSS sampled since the last call (the phase that just ended). */
/** Records the point and logs it at once (a run that fails later keeps what it measured). */
function record(name: string, point: Record<string, unknown>): void {
  points[name] = point;
  log(`${name}: ${JSON.stringify(point)} (load ${loadavg()[0]!.toFixed(1)})`);
}
function phasePeak(): { phasePeakRssMb: number } {
  const mb = Math.round(phasePeakKb / 1024);
  phasePeakKb = 0;
  if (snapshots) process.kill(server.pid, 'SIGUSR2');
  return { phasePeakRssMb: mb };
}
try {
  await new Promise((r) => setTimeout(r, 2000));
  record('afterStart', { ...memoryMb(server.pid), ...phasePeak(), ...(await heapMb(server.baseUrl)) });
  const ingest = await ingestSynthea(server.baseUrl, options.loadConcurrency);
  record('afterIngest', {
    ...memoryMb(server.pid),
    ...phasePeak(),
    ...(await heapMb(server.baseUrl)),
    resources: ingest.resources,
  });
  const scale = await scaleUp(
    server.baseUrl,
    options.resources - ingest.resources,
    options.loadConcurrency,
    log,
    options.maxScaleMinutes,
  );
  record('afterScale', {
    ...memoryMb(server.pid),
    ...phasePeak(),
    ...(await heapMb(server.baseUrl)),
    resources: ingest.resources + scale.resources,
  });
  await measureCreates(server.baseUrl, options.creates, options.concurrency);
  record('afterCreates', { ...memoryMb(server.pid), ...phasePeak(), ...(await heapMb(server.baseUrl)) });
  if (options.hl7Messages > 0) {
    for (const [name, traffic] of [
      ['afterHl7KnownPatients', 'known-patients'],
      ['afterHl7NewPatients', 'new-patients'],
    ] as const) {
      const hl7 = await measureHl7(server.mllpPort, options.hl7Messages, options.concurrency, { traffic });
      const perSecond = 'skipped' in hl7 ? hl7.skipped : hl7.perSecond;
      record(name, { ...memoryMb(server.pid), ...phasePeak(), ...(await heapMb(server.baseUrl)), perSecond });
    }
  }
} finally {
  clearInterval(sampler);
  await server.stop();
  await auth.close();
  await db.drop();
}
console.log(
  JSON.stringify(
    {
      benchmark: 'server-memory',
      store: options.store,
      auth: auth.env['NILECARE_AUTH'],
      targetResources: options.resources,
      points,
    },
    null,
    2,
  ),
);
