/**
 * The server's memory over a run: resident (VmRSS) and peak (VmHWM) of the server process, from /proc, right after
 * start-up (warm-up included), after the Synthea ingest, after scaling to `--resources`, and after creates — so
 * that start-up peaks and steady growth can be told apart; `phasePeakRssMb` is the highest VmRSS sampled (every 100 ms)
 * during that phase alone (VmHWM is the peak since start). Same server and options as bench/run.ts.
 * `--auth on` runs the server as the bench's figures of record do (SMART, a backend-services token, audit on);
 * the default here is off.
 * Usage: npx tsx bench/server-memory.ts [--store postgres] [--resources 20000] [--auth on|off]   (one JSON object)
 */
import { readFileSync } from 'node:fs';
import { parseOptions } from './options.js';
import { freshDatabase, startServer } from './server-process.js';
import { ingestSynthea, scaleUp } from './load-data.js';
import { measureCreates } from './http-figures.js';
import { authSetup } from './auth-mode.js';

function memoryMb(pid: number): { rssMb: number; peakRssMb: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  // utime + stime (clock ticks, 100 per second): what a memory setting costs in GC work shows here
  const statLine = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const stat = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = Math.round((Number(stat[11]) + Number(stat[12])) / 10) / 10;
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakRssMb: Math.round(kb('VmHWM') / 1024), cpuSeconds };
}

/** The server's own view (prom-client default metrics): V8 heap used / total and external memory. */
async function heapMb(baseUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(new URL('/metrics', baseUrl))).text();
  const metric = (name: string) =>
    Math.round(Number(new RegExp(`^nilecare_${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 1048576);
  return {
    heapUsedMb: metric('nodejs_heap_size_used_bytes'),
    heapTotalMb: metric('nodejs_heap_size_total_bytes'),
    externalMb: metric('nodejs_external_memory_bytes'),
  };
}

const options = parseOptions(process.argv.slice(2));
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
function phasePeak(): { phasePeakRssMb: number } {
  const mb = Math.round(phasePeakKb / 1024);
  phasePeakKb = 0;
  return { phasePeakRssMb: mb };
}
try {
  await new Promise((r) => setTimeout(r, 2000));
  points.afterStart = { ...memoryMb(server.pid), ...phasePeak(), ...(await heapMb(server.baseUrl)) };
  const ingest = await ingestSynthea(server.baseUrl, options.loadConcurrency);
  points.afterIngest = {
    ...memoryMb(server.pid),
    ...phasePeak(),
    ...(await heapMb(server.baseUrl)),
    resources: ingest.resources,
  };
  const scale = await scaleUp(
    server.baseUrl,
    options.resources - ingest.resources,
    options.loadConcurrency,
    log,
    options.maxScaleMinutes,
  );
  points.afterScale = {
    ...memoryMb(server.pid),
    ...phasePeak(),
    ...(await heapMb(server.baseUrl)),
    resources: ingest.resources + scale.resources,
  };
  await measureCreates(server.baseUrl, options.creates, options.concurrency);
  points.afterCreates = { ...memoryMb(server.pid), ...phasePeak(), ...(await heapMb(server.baseUrl)) };
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
