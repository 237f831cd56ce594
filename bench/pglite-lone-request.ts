/**
 * A lone request while bulk loads run (issue 20 item 4): the server as `npm start` runs it (bench/server-process.ts)
 * on a fresh store (default: embedded PGlite in a temporary folder) holding one Patient; then `--load-concurrency`
 * clients (default 4) post generated copies of the SMART Synthea patient bundles (self-contained, 50–700 kB) as
 * transactions, back to back, for `--seconds`, while one client reads the patient (`GET /fhir/Patient/{id}`) and
 * updates it (`PUT`, a changed telecom) every 250 ms. The same lone requests are first timed with nothing else
 * running (`idle`). Prints one JSON object: latency p50 / p95 / max in ms for GET and PUT, bundles and resources
 * loaded meanwhile.
 * Usage: npx tsx bench/pglite-lone-request.ts [--store pglite|postgres] [--seconds 60] [--load-concurrency 4]
 */
import { parseOptions } from './options.js';
import { freshDatabase, startServer } from './server-process.js';
import { authHeader, authSetup } from './auth-mode.js';
import { postBundle } from './load-data.js';
import { loadTemplate, scaledCopy, smartPatientFiles } from './synthea-data.js';
import { percentile } from './stats.js';

const argv = process.argv.slice(2);
const secondsAt = argv.indexOf('--seconds');
const seconds = secondsAt >= 0 ? Number(argv.splice(secondsAt, 2)[1]) : 60;
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
const auth = authSetup(options.auth === 'on' ? 'on' : 'off');
const server = await startServer(db, options, auth);
const out: Json = { benchmark: 'pglite-lone-request', store: options.store, loaders, seconds };
try {
  const headers = { accept: 'application/fhir+json', ...authHeader() };
  const made = await fetch(`${server.baseUrl}/fhir/Patient`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Osman', given: ['Amna'] }], gender: 'female' }),
  });
  await made.arrayBuffer();
  if (made.status !== 201) throw new Error(`POST Patient answered ${made.status}`);
  const url = `${server.baseUrl}/fhir/Patient/${made.headers.get('location')!.split('/Patient/')[1]!.split('/')[0]!}`;
  let n = 0;
  const lone = async (get: number[], put: number[]) => {
    let t = performance.now();
    const res = await fetch(url, { headers });
    const patient = (await res.json()) as Json;
    get.push(performance.now() - t);
    if (!res.ok) throw new Error(`GET answered ${res.status}`);
    patient['telecom'] = [{ system: 'phone', value: `+249 91 ${String(++n).padStart(7, '0')}` }];
    t = performance.now();
    const written = await fetch(url, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(patient),
    });
    await written.arrayBuffer();
    put.push(performance.now() - t);
    if (!written.ok) throw new Error(`PUT answered ${written.status}`);
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
      const answer = await postBundle(server.baseUrl, body);
      bundleMs.push(performance.now() - t);
      bundles++;
      resources += ((answer['entry'] ?? []) as Json[]).length;
    }
  };
  log(`${loaders} bundle loaders for ${seconds} s, a lone GET + PUT every 250 ms`);
  const busy = { get: [] as number[], put: [] as number[] };
  const loading = Promise.all(Array.from({ length: loaders }, load));
  await new Promise((r) => setTimeout(r, 2000)); // the loaders are in full swing
  while (performance.now() < until) {
    await lone(busy.get, busy.put);
    await new Promise((r) => setTimeout(r, 250));
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
} finally {
  await server.stop();
  await auth.close();
  await db.drop();
}
console.log(JSON.stringify(out, null, 2));
