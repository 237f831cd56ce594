/**
 * What the reference batches (fhir-data-pipes: ifNoneExist creates) cost per resource, in one process on the
 * PostgreSQL server store (auth off): CPU of this process (server and client) and of the database's backends, and
 * the statements sent (count per statement kind), for the batches posted fresh (every identifier new: every entry
 * creates) after a first warm-up load. Usage: npx tsx bench/batch-statements.ts [rounds=3]
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startTestServer } from '../server/testing/test-server.js';
import { createTestDatabase, BENCH_DATABASE_PREFIX } from '../server/store/postgres/testing/test-stores.js';
import { openPostgresStore } from '../server/store/postgres/open-postgres-store.js';
import { pipesFiles } from './synthea-data.js';
import { CpuMeter } from './cpu-meter.js';

type Json = Record<string, any>;
const rounds = Number(process.argv[2] ?? 3);
const database = await createTestDatabase(BENCH_DATABASE_PREFIX);
const store = await openPostgresStore({ url: database.url, poolSize: 16 });
const server = await startTestServer(store);
const counts = new Map<string, number>();
let counting = false;
const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (counting) {
    const config = args[0] as string | { text?: string; name?: string };
    const text = typeof config === 'string' ? config : (config?.text ?? config?.name ?? '?');
    const kind = text.replace(/\s+/g, ' ').slice(0, 70);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return original.apply(this, args);
} as typeof pg.Client.prototype.query;

const dbName = new URL(database.url).pathname.slice(1);
const meter = await CpuMeter.open(process.pid, { adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres', dbName });
const { reference } = pipesFiles();
const texts = reference.map((f) => JSON.stringify(JSON.parse(readFileSync(f, 'utf8'))));
const post = async (body: string) => {
  const res = await server.fhir('/', { method: 'POST', rawBody: body });
  if (res.status !== 200) throw new Error(res.text.slice(0, 300));
  return (res.body.entry as Json[]).filter((e) => String(e['response'].status).startsWith('201')).length;
};
try {
  for (const t of texts) await post(t); // warm-up: the first load
  const results = [];
  for (let r = 0; r < rounds; r++) {
    const fresh = `-${r}-${Date.now().toString(36)}`;
    const bodies = texts.map((t) => {
      const bundle = JSON.parse(t) as Json;
      for (const entry of bundle['entry'] as Json[]) {
        for (const identifier of (entry['resource']['identifier'] ?? []) as Json[]) identifier['value'] += fresh;
        if (entry['request']['ifNoneExist']) entry['request']['ifNoneExist'] += fresh;
      }
      return JSON.stringify(bundle);
    });
    counts.clear();
    counting = true;
    const start = await meter.snapshot();
    const cpu0 = process.cpuUsage();
    let created = 0;
    for (const b of bodies) created += await post(b);
    const usage = await meter.since(start);
    const own = process.cpuUsage(cpu0);
    counting = false;
    results.push({
      created,
      wallSeconds: usage.wallSeconds,
      processCpuMsPerResource: Math.round(((own.user + own.system) / 1000 / created) * 100) / 100,
      postgresCpuMsPerResource: Math.round(((usage.postgresCpuSeconds * 1000) / created) * 100) / 100,
      statements: Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])),
    });
  }
  console.log(JSON.stringify({ benchmark: 'batch-statements', results }, null, 2));
} finally {
  await meter.close();
  await server.close();
  await store.close();
  await database.drop();
}
