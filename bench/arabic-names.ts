/**
 * Arabic name search and Patient/$match at scale, as a client sees them: the server (in this process, real app) on a
 * fresh PostgreSQL database (or PGlite), N generated Sudanese patients (server/fhir/matching/testing/
 * name-population.ts: Arabic and Latin names from the public name-pair set, birth dates, phones) written through the
 * store with the server's own index extraction, then timed over HTTP, one request at a time:
 *   - `Patient?name=<Arabic name as a clerk types it>` (default page of 20),
 *   - `Patient?phonetic=<Latin rendering>`,
 *   - `POST Patient/$match` of a person registered again in the other script.
 * Prints one JSON object (p50/p95 ms per figure, targets: name search p50 <= 10 ms, $match p50 <= 50 ms at 1M).
 * Usage: npx tsx bench/arabic-names.ts [--patients 100000] [--samples 200] [--store postgres|pglite] [--database URL]
 * With --database, that PostgreSQL database is used and kept (loaded once: the load is skipped when it already
 * holds the patients), so that the 1M figures can be re-timed after an index or query change without a reload.
 * --load-part I/N (with --database) loads only the chunks of 10,000 whose number is I modulo N and exits without
 * timing: N such processes load one database in parallel (start I=0 first: it creates the schema); then run the
 * script without --load-part to time it.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Patient } from '@medplum/fhirtypes';
import { pgliteTestStore, postgresTestStore } from '../server/store/postgres/testing/test-stores.js';
import { openPostgresStore } from '../server/store/postgres/open-postgres-store.js';
import { startTestServer } from '../server/testing/test-server.js';
import { prepareVersion } from '../server/fhir/interactions/commit-version.js';
import { makePopulation, PAIRS, random } from '../server/fhir/matching/testing/name-population.js';
import { CpuMeter } from './cpu-meter.js';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: '100000' },
    samples: { type: 'string', default: '200' },
    store: { type: 'string', default: 'postgres' },
    database: { type: 'string' },
    'load-part': { type: 'string' },
  },
});
const total = Number(values.patients);
const samples = Number(values.samples);
const log = (line: string) => console.error(`[arabic-names] ${line}`);
const CHUNK = 10_000;
const [partIndex, partCount] = (values['load-part'] ?? '0/1').split('/').map(Number) as [number, number];
if (!(partCount >= 1 && partIndex >= 0 && partIndex < partCount) || (partCount > 1 && !values.database))
  throw new Error('--load-part I/N needs 0 <= I < N and --database');

const { store, dispose } = values.database
  ? { store: await openPostgresStore({ url: values.database, poolSize: 16 }), dispose: async () => undefined }
  : await (values.store === 'pglite' ? pgliteTestStore() : postgresTestStore());
const server = await startTestServer(store, { env: { NILECARE_DUPLICATE_CHECK: 'off' } });
const services = server.app.services;
let meter: CpuMeter | undefined;
try {
  const started = performance.now();
  let last: ReturnType<typeof makePopulation> | undefined;
  const held = partCount > 1 ? 0 : values.database ? await storedPatients() : 0;
  if (held >= total) log(`the database already holds ${held} patients: not loading`);
  const lastChunk = Math.ceil(total / CHUNK) - 1;
  if (held >= total) last = makePopulation(total - lastChunk * CHUNK, 1000 + lastChunk);
  for (let chunk = 0; held < total && chunk * CHUNK < total; chunk++) {
    if (chunk % partCount !== partIndex) continue;
    const size = Math.min(CHUNK, total - chunk * CHUNK);
    const population = makePopulation(size, 1000 + chunk);
    for (let i = 0; i < population.stored.length; i += 1000) {
      const writes = population.stored
        .slice(i, i + 1000)
        .map((p) => prepareVersion(services, 'Patient', `c${chunk}-${p.id}`, { ...p, id: `c${chunk}-${p.id}` }, 0));
      await store.write(writes);
    }
    last = population;
    if (chunk % 10 === 9 || (chunk + 1) * CHUNK >= total)
      log(
        `loaded ${Math.min(total, (chunk + 1) * CHUNK)} patients (${Math.round((performance.now() - started) / 1000)} s)`,
      );
  }
  const loadSeconds = Math.round((performance.now() - started) / 1000);
  if (partCount > 1) log(`part ${partIndex}/${partCount} loaded in ${loadSeconds} s`);
  else {
    const rnd = random(99);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
    const typed = PAIRS.arabicSpellings.flatMap((s) => s.typed);
    // CPU per request (this process: server and client; PostgreSQL backends of the database) when the database is known
    meter = values.database
      ? await CpuMeter.open(process.pid, {
          adminUrl: values.database,
          dbName: decodeURIComponent(new URL(values.database).pathname.slice(1)),
        })
      : undefined;
    const timings = async (label: string, request: () => Promise<{ status: number }>) => {
      const ms: number[] = [];
      for (let i = 0; i < 10; i++) await request(); // warm-up
      const before = await meter?.snapshot();
      for (let i = 0; i < samples; i++) {
        const t0 = performance.now();
        const response = await request();
        if (response.status !== 200) throw new Error(`${label}: HTTP ${response.status}`);
        ms.push(performance.now() - t0);
      }
      const cpu = before && (await meter!.since(before));
      ms.sort((a, b) => a - b);
      const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]! * 100) / 100;
      const perRequest = (seconds: number) => Math.round((seconds * 1e5) / ms.length) / 100; // ms
      const cpuMs = cpu && { server: perRequest(cpu.serverCpuSeconds), postgres: perRequest(cpu.postgresCpuSeconds) };
      log(
        `${label}: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, p99 ${at(0.99)} ms` +
          (cpuMs ? `, CPU/request ${cpuMs.server} ms server+client, ${cpuMs.postgres} ms PostgreSQL` : '') +
          ` (load ${os.loadavg()[0]!.toFixed(1)})`,
      );
      return { p50: at(0.5), p95: at(0.95), p99: at(0.99), samples: ms.length, ...(cpuMs ? { cpuMs } : {}) };
    };
    // baselines on the same database and machine: the fixed cost of a page of 20 Patients, and a read by id
    const pageBaseline = await timings('page of 20 (no condition)', () => server.fhir('Patient?_count=20'));
    const readBaseline = await timings('read by id', () => server.fhir(`Patient/c0-p${Math.floor(rnd() * 1000)}`));
    const nameSearch = await timings('name search', () =>
      server.fhir(`Patient?name=${encodeURIComponent(pick(typed))}`),
    );
    const phonetic = await timings('phonetic search', () =>
      server.fhir(`Patient?phonetic=${encodeURIComponent(pick(pick(PAIRS.given).latin))}`),
    );
    const queries = last!.positives(samples + 10).map((q) => q.patient);
    let n = 0;
    const match = await timings('$match', () =>
      server.fhir('Patient/$match', {
        method: 'POST',
        body: {
          resourceType: 'Parameters',
          parameter: [{ name: 'resource', resource: queries[n++ % queries.length] as Patient }],
        },
      }),
    );
    console.log(
      JSON.stringify(
        {
          bench: 'arabic-names',
          context: {
            store: store.description.replace(/\/\/[^@]*@/, '//'),
            patients: total,
            loadSeconds,
            cores: os.cpus().length,
            loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
          },
          figures: {
            baselinePageOf20: pageBaseline,
            baselineReadById: readBaseline,
            nameSearch: { ...nameSearch, target: 'p50 <= 10 ms at 1M', met: nameSearch.p50 <= 10 },
            phoneticSearch: { ...phonetic, target: 'p50 <= 10 ms at 1M', met: phonetic.p50 <= 10 },
            match: { ...match, target: 'p50 <= 50 ms at 1M', met: match.p50 <= 50 },
          },
        },
        null,
        2,
      ),
    );
  }
} finally {
  await meter?.close();
  await server.close();
  await store.close();
  await dispose();
}

async function storedPatients(): Promise<number> {
  const response = await server.fhir('Patient?_summary=count&_total=accurate');
  return response.status === 200 ? Number(response.body.total ?? 0) : 0;
}
