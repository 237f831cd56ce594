/**
 * What group commit (server/store/postgres/group-commit.ts) saves on the write statement alone: the PostgreSQL store
 * in process on a fresh database, `writers` concurrent callers each writing realistic Patients (bench-patients.ts,
 * index extracted as the server does) one create per `store.write`, with group commit on and off in alternating
 * rounds on the same database. Per write: PostgreSQL backend CPU, this process's CPU, write statements sent.
 * No HTTP, no duplicate check, no audit: the store's share of a create.
 * Usage: npx tsx bench/group-commit.ts [writesPerRound=3000] [writers=16] [rounds=2]
 */
import { cpus } from 'node:os';
import pg from 'pg';
import {
  BENCH_DATABASE_PREFIX,
  createTestDatabase,
  POSTGRES_ADMIN_URL,
} from '../server/store/postgres/testing/test-stores.js';
import { PostgresStore } from '../server/store/postgres/postgres-store.js';
import { pgClient } from '../server/store/postgres/pg-client.js';
import { extractIndex } from '../server/fhir/indexing/extract-index.js';
import type { SqlClient } from '../server/store/postgres/sql-client.js';
import { prepareVersion } from '../server/fhir/interactions/commit-version.js';
import { distinctPatient } from './bench-patients.js';
import { CpuMeter } from './cpu-meter.js';

const [perRound = 3000, writers = 16, rounds = 2] = process.argv.slice(2).map(Number);
const database = await createTestDatabase(BENCH_DATABASE_PREFIX);
const dbName = new URL(database.url).pathname.slice(1);
const pool = new pg.Pool({ connectionString: database.url, max: 16 });
let statements = 0;
const base = pgClient(pool, 'bench');
const client: SqlClient = {
  ...base,
  query: (s) => {
    if (s.name?.startsWith('fhir_versions')) statements++;
    return base.query(s);
  },
};
const grouped = new PostgresStore(client);
const single = new PostgresStore(client, { groupCommit: false });
await grouped.init();
const meter = await CpuMeter.open(process.pid, { adminUrl: POSTGRES_ADMIN_URL, dbName });
const ctx = { extractIndex, now: () => new Date() };
let serial = 0;

async function round(store: PostgresStore, label: string) {
  const patients = Array.from({ length: perRound }, () => distinctPatient(7, serial++, 'G'));
  statements = 0;
  const start = await meter.snapshot();
  const cpu0 = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < patients.length) {
        const p = patients[next++]!;
        const id = crypto.randomUUID();
        await store.write([prepareVersion(ctx, 'Patient', id, { ...p, id }, 0)]);
      }
    }),
  );
  const usage = await meter.since(start);
  const cpu = process.cpuUsage(cpu0);
  return {
    label,
    writesPerSecondWall: Math.round(perRound / usage.wallSeconds),
    postgresCpuUsPerWrite: Math.round((usage.postgresCpuSeconds * 1e6) / perRound),
    processCpuUsPerWrite: Math.round((cpu.user + cpu.system) / perRound),
    statementsPerWrite: statements / perRound,
  };
}

const results = [];
try {
  await round(grouped, 'warm-up');
  for (let r = 0; r < rounds; r++) {
    results.push(await round(grouped, 'group commit'));
    results.push(await round(single, 'one statement per write'));
  }
  console.log(JSON.stringify({ writers, perRound, cores: cpus().length, results }, null, 2));
} finally {
  await meter.close();
  await pool.end();
  await database.drop();
}
