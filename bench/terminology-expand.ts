/**
 * ValueSet/$expand with a text filter over a generated 100k-concept code system held in the store's concept table,
 * as a client sees it: the server (in this process, real app) on a fresh PGlite (default) or PostgreSQL database; the
 * code system created (content not-present) and its concepts uploaded through CodeSystem/[id]/$upload-concepts
 * (timed); then `$expand` of the value set of the whole code system with `filter` (one or two word prefixes drawn
 * from the generated vocabulary) and `count=20`, one request at a time over HTTP.
 * Prints one JSON object (target: p50 <= 20 ms at 100k concepts).
 * Usage: npx tsx bench/terminology-expand.ts [--concepts 100000] [--samples 200] [--store pglite|postgres]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import {
  pgliteTestStore,
  postgresTestStore,
  POSTGRES_ADMIN_URL,
} from '../server/store/postgres/testing/test-stores.js';
import { startTestServer } from '../server/testing/test-server.js';
import { generatedConcepts } from '../server/fhir/terminology/testing/generated-code-system.js';
import { percentile } from './stats.js';
import { CpuMeter } from './cpu-meter.js';

const { values } = parseArgs({
  options: {
    concepts: { type: 'string', default: '100000' },
    samples: { type: 'string', default: '200' },
    store: { type: 'string', default: 'pglite' },
  },
});
const size = Number(values.concepts);
const samples = Number(values.samples);
const log = (line: string) => console.error(`[terminology-expand] ${line}`);
const URL_ = 'http://example.org/bench-generated';
const FILTERS = ['malaria', 'acute fev', 'sickle anaem', 'renal', 'chol', 'neonatal pneu', 'typhoid', 'burn lo', 'hep'];

const opened = await (values.store === 'postgres' ? postgresTestStore() : pgliteTestStore());
const server = await startTestServer(opened.store, { env: { MAX_BODY_BYTES: String(64 * 1024 * 1024) } });
try {
  const header = {
    resourceType: 'CodeSystem',
    id: 'bench',
    url: URL_,
    status: 'active',
    content: 'not-present',
    count: size,
  };
  const created = await server.fhir('CodeSystem/bench', { method: 'PUT', body: header });
  if (created.status !== 201) throw new Error(created.text);
  const concepts = generatedConcepts(size);
  log(`uploading ${size} concepts`);
  const t0 = performance.now();
  const uploaded = await server.fhir('CodeSystem/bench/$upload-concepts', {
    method: 'POST',
    body: { ...header, concept: concepts },
  });
  if (uploaded.status !== 200) throw new Error(uploaded.text);
  const uploadMs = performance.now() - t0;
  log(`uploaded in ${Math.round(uploadMs)} ms; timing ${samples} $expand`);
  const latencies: number[] = [];
  let matched = 0;
  let capped = 0;
  const dbName = /\/([a-z0-9_]+)\)?$/.exec(opened.store.description)?.[1];
  const meter = await CpuMeter.open(
    process.pid,
    values.store === 'postgres' && dbName ? { adminUrl: POSTGRES_ADMIN_URL, dbName } : undefined,
  );
  let cpuStart = await meter.snapshot();
  for (let i = 0; i < samples + 10; i++) {
    if (i === 10) cpuStart = await meter.snapshot();
    const filter = FILTERS[i % FILTERS.length]!;
    const start = performance.now();
    const res = await server.fhir(
      `ValueSet/$expand?url=${encodeURIComponent(`${URL_}?fhir_vs`)}&filter=${encodeURIComponent(filter)}&count=20`,
    );
    const ms = performance.now() - start;
    if (res.status !== 200) throw new Error(res.text.slice(0, 300));
    if (i >= 10) {
      latencies.push(ms);
      const total = res.body.expansion.total as number | undefined;
      if (total === undefined) capped++;
      else matched += total;
    }
  }
  const cpu = await meter.since(cpuStart);
  await meter.close();
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  console.log(
    JSON.stringify({
      bench: 'terminology-expand',
      store: opened.store.description,
      concepts: size,
      samples,
      uploadMs: Math.round(uploadMs),
      expandFilterMs: {
        p50: round(percentile(latencies, 50)),
        p95: round(percentile(latencies, 95)),
        max: round(latencies.at(-1)!),
      },
      // the CPU one request costs (this process: server + client, PGlite inside; plus the PostgreSQL backends)
      cpuMsPerExpand: round(((cpu.serverCpuSeconds + cpu.postgresCpuSeconds) * 1000) / samples),
      meanMatchesCounted: samples > capped ? Math.round(matched / (samples - capped)) : null,
      totalsLeftOut: capped,
      targetP50Ms: 20,
      cpus: os.cpus().length,
      loadavg: os.loadavg().map(round),
    }),
  );
} finally {
  await server.close();
  await opened.dispose();
}
