/**
 * Token `:below` search at scale, as a client sees it: a hierarchical code system (a ten-way tree of generated
 * concepts, created as a CodeSystem resource), `--resources` Observations coded from it (loaded through batch
 * Bundles of 500), then `Observation?code:below=system|C<k>` for codes with about 1, 11 and 111 concepts below them,
 * `_count=20`, one request at a time over HTTP. Prints one JSON object (target: p50 <= 10 ms at 1M resources).
 * Loading 1M resources takes a long while and most of the machine: do not run it at that size on a shared, loaded
 * machine (the figure would be the load's anyway).
 * Usage: npx tsx bench/terminology-below.ts [--resources 1000000] [--concepts 1000] [--samples 200] [--store pglite|postgres]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { pgliteTestStore, postgresTestStore } from '../server/store/postgres/testing/test-stores.js';
import { startTestServer } from '../server/testing/test-server.js';
import { generatedConcepts } from '../server/fhir/terminology/testing/generated-code-system.js';
import { percentile, runPool } from './stats.js';

const { values } = parseArgs({
  options: {
    resources: { type: 'string', default: '1000000' },
    concepts: { type: 'string', default: '1000' },
    samples: { type: 'string', default: '200' },
    store: { type: 'string', default: 'pglite' },
  },
});
const resources = Number(values.resources);
const size = Number(values.concepts);
const samples = Number(values.samples);
const log = (line: string) => console.error(`[terminology-below] ${line}`);
const SYSTEM = 'http://example.org/bench-below';
const BATCH = 500;

const opened = await (values.store === 'postgres' ? postgresTestStore() : pgliteTestStore());
const server = await startTestServer(opened.store, { env: { MAX_BODY_BYTES: String(64 * 1024 * 1024) } });
try {
  const cs = await server.fhir('CodeSystem/bench-below', {
    method: 'PUT',
    body: {
      resourceType: 'CodeSystem',
      id: 'bench-below',
      url: SYSTEM,
      status: 'active',
      content: 'complete',
      hierarchyMeaning: 'is-a',
      property: [{ code: 'parent', type: 'code' }],
      concept: generatedConcepts(size),
    },
  });
  if (cs.status !== 201) throw new Error(cs.text);
  log(`loading ${resources} Observations`);
  const t0 = performance.now();
  const batches = Math.ceil(resources / BATCH);
  await runPool(batches, 2, async (b) => {
    const entry = [];
    for (let i = b * BATCH; i < Math.min(resources, (b + 1) * BATCH); i++)
      entry.push({
        request: { method: 'POST', url: 'Observation' },
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { coding: [{ system: SYSTEM, code: `C${i % size}` }] },
        },
      });
    const res = await server.fhir('', { method: 'POST', body: { resourceType: 'Bundle', type: 'batch', entry } });
    if (res.status !== 200) throw new Error(res.text.slice(0, 300));
    if (b % 100 === 0) log(`${b * BATCH} loaded`);
  });
  const loadMs = performance.now() - t0;
  // codes with 1 (a leaf), 11 and 111 concepts below them in a ten-way tree of `size` concepts
  const tops = [`C${size - 1}`, `C${Math.floor((size - 1) / 10)}`, `C${Math.floor((size - 1) / 100)}`];
  const latencies: number[] = [];
  for (let i = 0; i < samples + 10; i++) {
    const top = tops[i % tops.length]!;
    const start = performance.now();
    const res = await server.fhir(`Observation?code:below=${encodeURIComponent(`${SYSTEM}|${top}`)}&_count=20`);
    const ms = performance.now() - start;
    if (res.status !== 200) throw new Error(res.text.slice(0, 300));
    if (i >= 10) latencies.push(ms);
  }
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  console.log(
    JSON.stringify({
      bench: 'terminology-below',
      store: opened.store.description,
      resources,
      concepts: size,
      samples,
      loadMs: Math.round(loadMs),
      belowSearchMs: {
        p50: round(percentile(latencies, 50)),
        p95: round(percentile(latencies, 95)),
        max: round(latencies.at(-1)!),
      },
      targetP50Ms: 10,
      cpus: os.cpus().length,
      loadavg: os.loadavg().map(round),
    }),
  );
} finally {
  await server.close();
  await opened.dispose();
}
