/**
 * A lone request while bulk loads run (issue 20 item 4): the server as `npm start` runs it (bench/server-process.ts)
 * on a fresh store (default: embedded PGlite in a temporary folder) holding one Patient; then `--load-concurrency`
 * clients (default 4) post generated copies of the SMART Synthea patient bundles (self-contained, 50–700 kB) as
 * transactions, back to back, for `--seconds`, while one client reads the patient (`GET /fhir/Patient/{id}`) and
 * updates it (`PUT`, a changed telecom) every 250 ms. The same lone requests are first timed with nothing else
 * running (`idle`). Prints one JSON object: latency p50 / p95 / max in ms for GET and PUT, bundles and resources
 * loaded meanwhile.
 * `--restart`: at the end of the load the server is killed (SIGKILL) with the bundles still in flight, then started
 * again on the same folder; reported: seconds until /readyz answers, whether the last acknowledged PUT is there, and
 * the store's own steps on a copy of the crashed folder (bench/pglite-open-steps.ts: open with WAL replay, schema,
 * statistics).
 * On PGlite the server's statement queue reports how long each kind of work waited for its turn and ran
 * (NILECARE_PGLITE_QUEUE_STATS, pglite-queue.ts `timings()`; over the whole run, idle part included): `queue`.
 * Usage: npx tsx bench/pglite-lone-request.ts [--store pglite|postgres] [--seconds 60] [--load-concurrency 4]
 *   [--restart] [--auth on|off]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions } from './options.js';
import { freshDatabase, startServer } from './server-process.js';
import { authHeader, authSetup } from './auth-mode.js';
import { postBundle } from './load-data.js';
import { loadTemplate, scaledCopy, smartPatientFiles } from './synthea-data.js';
import { percentile } from './stats.js';
import { openSteps } from './pglite-open-steps.js';

const argv = process.argv.slice(2);
const secondsAt = argv.indexOf('--seconds');
const seconds = secondsAt >= 0 ? Number(argv.splice(secondsAt, 2)[1]) : 60;
const restartAt = argv.indexOf('--restart');
const restart = restartAt >= 0 && argv.splice(restartAt, 1).length > 0;
if (!argv.includes('--store')) argv.push('--store', 'pglite');
const options = parseOptions(argv);
const loaders = options.loadConcurrency;
const log = (m: string) => console.error(`[lone-request] ${m}`);

type Json = Record<string, any>;
const summary = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  const r = (n: number) => Math.round(n * 10) / 10;
  return { count: s.length, p50: r(percentile(s, 50)), p95: r(percentile(s, 95)), max: r(s.at(-1) ?? NaN) };
};

const db = await freshDatabase(options);
const statsDir = mkdtempSync(join(tmpdir(), 'nilecare-queue-stats-'));
const statsFile = join(statsDir, 'queue.json');
process.env['NILECARE_PGLITE_QUEUE_STATS'] = statsFile; // the server process inherits it
const queueTimings = () => (existsSync(statsFile) ? (JSON.parse(readFileSync(statsFile, 'utf8')) as Json) : undefined);
const auth = authSetup(options.auth === 'on' ? 'on' : 'off');
let server = await startServer(db, options, auth);
const out: Json = { benchmark: 'pglite-lone-request', store: options.store, loaders, seconds, auth: options.auth };
const loadAtStart = loadavg()[0];
try {
  const headers = { accept: 'application/fhir+json', ...authHeader() };
  const made = await fetch(`${server.baseUrl}/fhir/Patient`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Osman', given: ['Amna'] }], gender: 'female' }),
  });
  await made.arrayBuffer();
  if (made.status !== 201) throw new Error(`POST Patient answered ${made.status}`);
  const path = `/fhir/Patient/${made.headers.get('location')!.split('/Patient/')[1]!.split('/')[0]!}`;
  let n = 0;
  let ackedVersion = '';
  const lone = async (get: number[], put: number[]) => {
    let t = performance.now();
    const res = await fetch(server.baseUrl + path, { headers });
    const patient = (await res.json()) as Json;
    get.push(performance.now() - t);
    if (!res.ok) throw new Error(`GET answered ${res.status}`);
    patient['telecom'] = [{ system: 'phone', value: `+249 91 ${String(++n).padStart(7, '0')}` }];
    t = performance.now();
    const written = await fetch(server.baseUrl + path, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(patient),
    });
    await written.arrayBuffer();
    put.push(performance.now() - t);
    if (!written.ok) throw new Error(`PUT answered ${written.status}`);
    ackedVersion = written.headers.get('etag') ?? '';
  };
  const idle = { get: [] as number[], put: [] as number[] };
  for (let i = 0; i < 20; i++) {
    await lone(idle.get, idle.put);
    await new Promise((r) => setTimeout(r, 50));
  }
  out.idle = { get: summary(idle.get), put: summary(idle.put) };

  const templates = smartPatientFiles().map(loadTemplate);
  let bundles = 0;
  let resources = 0;
  let copy = 0;
  const bundleMs: number[] = [];
  const until = performance.now() + seconds * 1000;
  const load = async () => {
    while (performance.now() < until) {
      const template = templates[copy % templates.length]!;
      const body = scaledCopy(template, copy++).text;
      const t = performance.now();
      const answer: Json = await postBundle(server.baseUrl, body).catch((error: unknown) => {
        if (killed) return {}; // in flight when the server was killed
        throw error;
      });
      if (killed) return;
      bundleMs.push(performance.now() - t);
      bundles++;
      resources += ((answer['entry'] ?? []) as Json[]).length;
    }
  };
  log(`${loaders} bundle loaders for ${seconds} s, a lone GET + PUT every 250 ms`);
  let killed = false;
  const busy = { get: [] as number[], put: [] as number[] };
  const loading = Promise.all(Array.from({ length: loaders }, load));
  await new Promise((r) => setTimeout(r, 2000)); // the loaders are in full swing
  while (performance.now() < until) {
    await lone(busy.get, busy.put);
    await new Promise((r) => setTimeout(r, 250));
  }
  if (restart) {
    killed = true;
    process.kill(server.pid, 'SIGKILL');
  }
  await loading;
  out.underLoad = {
    get: summary(busy.get),
    put: summary(busy.put),
    bundles,
    resources,
    resourcesPerSecond: Math.round(resources / seconds),
    bundleMs: summary(bundleMs),
  };
  out.queue = queueTimings(); // the server's last report (every 2 s), before a restart starts it anew
  if (restart) {
    while (server.exitInfo() === undefined) await new Promise((r) => setTimeout(r, 50)); // reaped: its lock is stale
    const folder = db.env['PGLITE_DATA_DIR'];
    const steps = folder ? await openSteps(folder) : undefined; // on a copy, before the server replays it
    log(`store steps on a copy of the crashed folder: ${JSON.stringify(steps)}`);
    const t = performance.now();
    server = await startServer(db, options, auth);
    const readySeconds = Math.round((performance.now() - t) / 100) / 10;
    log(`restarted: ready after ${readySeconds} s`);
    const after = await fetch(server.baseUrl + path, { headers: { ...headers, ...authHeader() } });
    out.restartAfterKill = {
      readySeconds,
      lastAcknowledgedPut: ackedVersion,
      afterRestart: after.headers.get('etag') ?? `${after.status} ${(await after.text()).slice(0, 300)}`,
      lastAcknowledgedFound: after.ok && after.headers.get('etag') === ackedVersion,
      storeSteps: steps,
    };
  }
} finally {
  await server.stop();
  await auth.close();
  await db.drop();
  rmSync(statsDir, { recursive: true, force: true });
}
out.loadAverage = { start: loadAtStart, end: loadavg()[0] };
console.log(JSON.stringify(out, null, 2));
