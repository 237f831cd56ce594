/**
 * What the conditional-write locks cost (issue #14 item 1): If-None-Exist creates over HTTP through the real app,
 * with the store's locks (ResourceStore.withLocks) and with them bypassed (a store view whose withLocks just runs
 * the function: the match-then-write as before, not atomic). Distinct identifiers (no contention: the pure cost of
 * taking and releasing a lock) and one identifier for every client at once (contention: the locked run serialises,
 * the unlocked one creates duplicates, counted). Stores: PostgreSQL server (127.0.0.1:5432) and PGlite in memory.
 * Prints one JSON object: requests/s (median of 3 runs) and duplicates.
 * Usage: npx tsx bench/conditional-lock.ts [--requests 400] [--concurrency 16]
 */
import { randomUUID } from 'node:crypto';
import type { ResourceStore } from '../server/store/resource-store.js';
import { BENCH_DATABASE_PREFIX, createTestDatabase } from '../server/store/postgres/testing/test-stores.js';
import { openPostgresStore } from '../server/store/postgres/open-postgres-store.js';
import { openPgliteTestStore } from '../server/store/postgres/testing/pglite-template.js';
import { startTestServer, type TestServer } from '../server/testing/test-server.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const REQUESTS = arg('requests', 400);
const CONCURRENCY = arg('concurrency', 16);
const SYSTEM = 'urn:nilecare:bench-lock';

/** The same store without cross-request locks (what the server did before issue 14). */
function unlocked(store: ResourceStore): ResourceStore {
  const bypass = <T>(_keys: readonly string[], fn: (s: ResourceStore) => Promise<T>) => fn(store);
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'withLocks') return bypass;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value; // private fields need the real `this`
    },
  });
}

/** Requests/s; 412 answers (the criteria already match several: duplicates were made) are counted in `refused`. */
async function drive(server: TestServer, identifierOf: (i: number) => string, refused = { count: 0 }): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < REQUESTS; i = next++) {
        const value = identifierOf(i);
        const res = await server.fhir('/Patient', {
          method: 'POST',
          body: { resourceType: 'Patient', identifier: [{ system: SYSTEM, value }], name: [{ family: 'Lock' }] },
          headers: { 'if-none-exist': `identifier=${SYSTEM}|${value}` },
        });
        if (res.status === 412) refused.count++;
        else if (res.status !== 201 && res.status !== 200) throw new Error(`${res.status} ${res.text.slice(0, 200)}`);
      }
    }),
  );
  return REQUESTS / ((performance.now() - started) / 1000);
}

async function countOf(server: TestServer, value: string): Promise<number> {
  const res = await server.fhir(`/Patient?identifier=${encodeURIComponent(`${SYSTEM}|${value}`)}&_summary=count`);
  return res.body.total as number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 10) / 10;

async function measure(label: string, open: () => Promise<{ store: ResourceStore; dispose: () => Promise<void> }>) {
  const out: Record<string, unknown> = {};
  for (const mode of ['locked', 'unlocked'] as const) {
    const { store, dispose } = await open();
    const server = await startTestServer(mode === 'locked' ? store : unlocked(store));
    try {
      await drive(server, (i) => `warm-${mode}-${i}`); // warm-up (prepared statements, JIT)
      const distinct: number[] = [];
      const contended: number[] = [];
      let duplicates = 0;
      const refused = { count: 0 };
      for (let run = 0; run < 3; run++) {
        const tag = randomUUID().slice(0, 8);
        distinct.push(await drive(server, (i) => `d-${tag}-${i}`));
        contended.push(await drive(server, () => `c-${tag}`, refused));
        duplicates += (await countOf(server, `c-${tag}`)) - 1;
      }
      out[mode] = {
        distinctPerSecond: round(median(distinct)),
        sameIdentifierPerSecond: round(median(contended)),
        duplicatesCreatedInSameIdentifierRuns: duplicates,
        answered412InSameIdentifierRuns: refused.count,
      };
    } finally {
      await server.close();
      await store.close();
      await dispose();
    }
  }
  const locked = out['locked'] as { distinctPerSecond: number };
  const bypassed = out['unlocked'] as { distinctPerSecond: number };
  out['lockCostOnDistinct'] = `${round((1 - locked.distinctPerSecond / bypassed.distinctPerSecond) * 100)}%`;
  console.error(`[bench] ${label} done`);
  return out;
}

const figures = {
  context: { requests: REQUESTS, concurrency: CONCURRENCY, node: process.version },
  postgres: await measure('postgres', async () => {
    const database = await createTestDatabase(BENCH_DATABASE_PREFIX);
    const store = await openPostgresStore({ url: database.url, poolSize: 16 });
    return { store, dispose: database.drop };
  }),
  pglite: await measure('pglite', async () => ({ store: await openPgliteTestStore(), dispose: async () => undefined })),
};
console.log(JSON.stringify(figures, null, 2));
