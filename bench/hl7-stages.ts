/**
 * Where an inbound HL7 message's time goes, in one process: the app on a fresh PostgreSQL database, the MySQL
 * message log on a fresh nilecare_interop, and processMessage driven at `concurrency` messages in flight (no MLLP).
 * Prints wall time per stage (message log calls, the FHIR transaction) and CPU per message; with concurrency 1 the
 * process CPU per stage is exact too (with more in flight it includes the other messages' work).
 * With --statement-cpu, PostgreSQL's own log gives the CPU per statement too (bench/statement-cpu.ts: needs the server
 * log readable), so the database side of a message can be named statement by statement.
 * Usage: npx tsx bench/hl7-stages.ts [messages=400] [concurrency=16] [known-patients|new-patients] [--statement-cpu]
 */
import pg from 'pg';
import { createTestDatabase as createPgDatabase } from '../server/store/postgres/testing/test-stores.js';
import { createTestDatabase } from '../server/migrate/testing/test-databases.js';
import { migrateDatabase } from '../server/migrate/migrate.js';
import { loadConfig } from '../server/config.js';
import { createApp } from '../server/app.js';
import { currentResources, hl7Submit } from '../server/hl7-submit.js';
import { MysqlMessageLog } from '../adapters/hl7v2/log/mysql-message-log.js';
import type { MessageLog } from '../adapters/hl7v2/log/message-log.js';
import { processMessage, type InboundDeps } from '../adapters/hl7v2/inbound/process-message.js';
import { inboundPipeline } from '../adapters/hl7v2/inbound/inbound-pipeline.js';
import { oruMessages } from './hl7-figure.js';
import { trafficMessage, uniqueCopy, type Hl7Traffic } from './hl7-traffic.js';
import { runPool } from './stats.js';
import { CpuMeter, cpuTicks } from './cpu-meter.js';
import { BENCH_DATABASE_PREFIX, POSTGRES_ADMIN_URL } from '../server/store/postgres/testing/test-stores.js';
import { execFileSync } from 'node:child_process';
import { logSize, logStatementCpu, statementCpu } from './statement-cpu.js';

/** Rows of every index side table (fhir_idx_*), for the index rows a message adds. */
async function indexRows(url: string): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tables = await c.query<{ t: string }>(
      "SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'fhir\\_idx\\_%' ORDER BY 1",
    );
    const out: Record<string, number> = {};
    let total = 0;
    for (const { t } of tables.rows) {
      const n = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]!.n);
      out[t] = n;
      total += n;
    }
    out['total'] = total;
    return out;
  } finally {
    await c.end();
  }
}

const args = process.argv.slice(2).filter((a) => a !== '--statement-cpu');
const withStatementCpu = process.argv.includes('--statement-cpu');
const [count = 400, concurrency = 16] = args.slice(0, 2).map(Number);
const traffic = (args[2] ?? 'known-patients') as Hl7Traffic;

// PostgreSQL statements issued, by prepared-statement name or the statement's first words.
const statements = new Map<string, number>();
const query = pg.Client.prototype.query as (...a: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
  const q = a[0] as string | { name?: string; text?: string };
  const key = typeof q === 'string' ? q : (q?.name ?? q?.text ?? '?');
  const short = key.replace(/\s+/g, ' ').slice(0, 60);
  statements.set(short, (statements.get(short) ?? 0) + 1);
  return query.apply(this, a);
} as typeof pg.Client.prototype.query;
const stages = new Map<string, { n: number; ms: number; cpuMs: number }>();
function timedFn<A extends unknown[], R>(name: string, fn: (...a: A) => Promise<R>): (...a: A) => Promise<R> {
  return async (...a: A) => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    try {
      return await fn(...a);
    } finally {
      const s = stages.get(name) ?? { n: 0, ms: 0, cpuMs: 0 };
      const c = process.cpuUsage(c0);
      s.n++;
      s.ms += performance.now() - t0;
      s.cpuMs += (c.user + c.system) / 1000;
      stages.set(name, s);
    }
  };
}

const pgDb = await createPgDatabase(BENCH_DATABASE_PREFIX);
const pgDbName = new URL(pgDb.url).pathname.slice(1);
if (withStatementCpu) await logStatementCpu(POSTGRES_ADMIN_URL, pgDbName);
const interop = await createTestDatabase('mysql', 'nilecare_interop');
await migrateDatabase({ engine: 'mysql', database: 'nilecare_interop', connection: { url: interop.url } });
const app = await createApp(
  loadConfig({
    ...process.env,
    NILECARE_STORE: 'postgres',
    DATABASE_URL: pgDb.url,
    NILECARE_AUTH: 'disabled',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
  }),
);
const mysqlLog = MysqlMessageLog.open(interop.url);
const log = new Proxy(mysqlLog, {
  get(target, prop, receiver) {
    const v = Reflect.get(target, prop, receiver);
    return typeof v === 'function' && prop !== 'close' ? timedFn(`log.${String(prop)}`, v.bind(target)) : v;
  },
}) as MessageLog;
const deps: InboundDeps = inboundPipeline({
  submit: timedFn('fhir transaction', hl7Submit(app.systemClient)),
  // as server/hl7-wiring.ts: what a message depends on through the store-level search
  search: Object.assign(
    timedFn('store search', async (type: string, params: Array<[string, string]>, count?: number) =>
      (await app.systemClient.search(type, params, count ? { count } : {})).matches.flatMap((m) =>
        m.resource ? [m.resource] : [],
      ),
    ),
    { readMany: timedFn('store read by id', currentResources(app.store)) },
  ),
  log,
});
try {
  const corpus = oruMessages();
  const run = Date.now().toString(36);
  const usable: string[] = [];
  for (const [i, m] of corpus.entries())
    if ((await processMessage(uniqueCopy(m.text, `W${run}${i}`, `-w${run}${i}`, 1_000_000 + i), deps)).code === 'AA')
      usable.push(m.text);
  stages.clear();
  statements.clear();
  const meter = await CpuMeter.open(process.pid, {
    adminUrl: POSTGRES_ADMIN_URL,
    dbName: pgDbName,
  });
  const mysqld = Number(execFileSync('pidof', ['mariadbd'], { encoding: 'utf8' }).trim().split(/\s+/)[0]);
  const mysqld0 = cpuTicks(mysqld);
  const rows0 = await indexRows(pgDb.url);
  const pg0 = await meter.snapshot();
  const cpu0 = process.cpuUsage();
  const logFrom = logSize();
  const from = new Date();
  let accepted = 0;
  const wall = await runPool(count, concurrency, async (i) => {
    const r = timedFn('processMessage', processMessage);
    if ((await r(trafficMessage(usable, i, count, traffic, { id: run, firstPerson: 0 }), deps)).code === 'AA')
      accepted++;
  });
  const cpu = process.cpuUsage(cpu0);
  const pgUsage = await meter.since(pg0);
  const mysqldMs = (cpuTicks(mysqld) - mysqld0) * 10;
  await meter.close();
  const to = new Date();
  const rows1 = await indexRows(pgDb.url);
  const round = (x: number) => Math.round(x * 100) / 100;
  console.log(
    JSON.stringify(
      {
        messages: count,
        traffic,
        accepted,
        messagesPerSecond: round(count / (wall / 1000)),
        processCpuMsPerMessage: round((cpu.user + cpu.system) / 1000 / count),
        postgresCpuMsPerMessage: round((pgUsage.postgresCpuSeconds * 1000) / count),
        mysqldCpuMsPerMessage: round(mysqldMs / count),
        indexRowsPerMessage: Object.fromEntries(
          Object.entries(rows1).map(([table, n]) => [table, round((n - (rows0[table] ?? 0)) / count)]),
        ),
        postgresStatementsPerMessage: Object.fromEntries(
          [...statements].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, round(n / count)]),
        ),
        ...(withStatementCpu ? { statementCpu: statementCpu(pgDbName, from, to, count, 25, logFrom) } : {}),
        stages: Object.fromEntries(
          [...stages].map(([k, s]) => [
            k,
            {
              calls: round(s.n / count),
              wallMsPerMessage: round(s.ms / count),
              cpuMsPerMessage: round(s.cpuMs / count),
            },
          ]),
        ),
      },
      null,
      2,
    ),
  );
} finally {
  await mysqlLog.close();
  await app.close();
  await interop.drop();
  await pgDb.drop();
}
