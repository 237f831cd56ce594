/**
 * The HL7 figure alone (bench/hl7-figure.ts) against a server on a fresh database, with the CPU of the server, of
 * its PostgreSQL backends and of mysqld, and MariaDB's counters (statements, fsyncs) per message. Faster than a
 * full `npm run bench` when working on inbound throughput. The server starts cold (the full bench's HL7 phase runs
 * after the HTTP phases, JIT and caches warm), so CPU per message reads higher here: compare runs of this script
 * with each other, back to back, not with the full bench.
 * Usage: npx tsx bench/hl7-only.ts [--store postgres] [--hl7-messages 400] [--concurrency 16] [--cpu-prof-dir DIR]
 *   [--traffic known-patients|new-patients] (the mixes of bench/hl7-traffic.ts; default known-patients)
 *   [--auth on|off] (on, the default and the figure of record: the server as `npm run bench` runs it, SMART with audit on)
 *   [--statement-cpu] (PostgreSQL's CPU per statement and protocol step from the server log, bench/statement-cpu.ts:
 *   the 25 largest, and how much of the meter's PostgreSQL CPU all logged statements account for)
 */
import { execFileSync } from 'node:child_process';
import mysql from 'mysql2/promise';
import { parseOptions } from './options.js';
import { freshDatabase, startServer } from './server-process.js';
import { CpuMeter, cpuTicks } from './cpu-meter.js';
import { measureHl7 } from './hl7-figure.js';
import { HL7_TRAFFIC, type Hl7Traffic } from './hl7-traffic.js';
import { authSetup } from './auth-mode.js';
import { logSize, logStatementCpu, statementCpu } from './statement-cpu.js';

const COUNTERS = ['Questions', 'Com_select', 'Com_insert', 'Com_update', 'Innodb_data_fsyncs', 'Innodb_os_log_fsyncs'];

async function mariaCounters(url: string): Promise<Record<string, number>> {
  const c = await mysql.createConnection(url);
  const [rows] = await c.query<mysql.RowDataPacket[]>(
    `SHOW GLOBAL STATUS WHERE Variable_name IN (${COUNTERS.map(() => '?').join(',')})`,
    COUNTERS,
  );
  await c.end();
  return Object.fromEntries(rows.map((r) => [r.Variable_name as string, Number(r.Value)]));
}

function mysqldPid(): number | undefined {
  try {
    return (
      Number(execFileSync('pidof', ['mariadbd'], { encoding: 'utf8' }).trim().split(/\s+/)[0]) ||
      Number(execFileSync('pidof', ['mysqld'], { encoding: 'utf8' }).trim().split(/\s+/)[0])
    );
  } catch {
    return undefined;
  }
}

const args = process.argv.slice(2);
const at = args.indexOf('--traffic');
const traffic = (at >= 0 ? args.splice(at, 2)[1] : 'known-patients') as Hl7Traffic;
const statementsAt = args.indexOf('--statement-cpu');
const withStatementCpu = statementsAt >= 0;
if (withStatementCpu) args.splice(statementsAt, 1);
if (!HL7_TRAFFIC.includes(traffic)) throw new Error(`--traffic must be one of ${HL7_TRAFFIC.join(', ')}`);
const options = parseOptions(args, {
  ...process.env,
  NILECARE_BENCH_HL7_MESSAGES: process.env['NILECARE_BENCH_HL7_MESSAGES'] ?? '400',
});
const auth = authSetup(options.auth === 'off' ? 'off' : 'on');
const db = await freshDatabase(options);
if (withStatementCpu && db.postgresDbName) await logStatementCpu(options.postgresAdminUrl, db.postgresDbName);
const server = await startServer(db, options, auth);
const meter = await CpuMeter.open(
  server.pid,
  db.postgresDbName ? { adminUrl: options.postgresAdminUrl, dbName: db.postgresDbName } : undefined,
);
const mysqld = mysqldPid();
try {
  const before = await meter.snapshot();
  const mariaBefore = await mariaCounters(options.interopMysqlUrl);
  const mysqldBefore = mysqld ? cpuTicks(mysqld) : 0;
  const logFrom = logSize();
  const from = new Date();
  const figure = await measureHl7(server.mllpPort, options.hl7Messages, options.concurrency, { traffic });
  const usage = await meter.since(before);
  const to = new Date();
  const mysqldSeconds = mysqld ? (cpuTicks(mysqld) - mysqldBefore) / 100 : NaN;
  const mariaAfter = await mariaCounters(options.interopMysqlUrl);
  if ('skipped' in figure) throw new Error(figure.skipped);
  const n = figure.count + figure.usable;
  const per = (x: number) => Math.round((x * 100_000) / n) / 100;
  const out = {
    auth: options.auth === 'off' ? 'off' : 'on',
    traffic: figure.traffic,
    patients: figure.patients,
    messagesPerSecond: figure.perSecond,
    p50Ms: figure.p50,
    p99Ms: figure.p99,
    accepted: figure.messagesAccepted,
    ...(figure.firstRejection ? { firstRejection: figure.firstRejection } : {}),
    messages: n,
    wallSeconds: usage.wallSeconds,
    serverCpuMsPerMessage: per(usage.serverCpuSeconds),
    postgresCpuMsPerMessage: per(usage.postgresCpuSeconds),
    mysqldCpuMsPerMessage: per(mysqldSeconds),
    mariadbPerMessage: Object.fromEntries(
      COUNTERS.map((k) => [k, Math.round(((mariaAfter[k]! - mariaBefore[k]!) / n) * 100) / 100]),
    ),
  };
  const statements =
    withStatementCpu && db.postgresDbName ? statementCpu(db.postgresDbName, from, to, n, 100_000, logFrom) : undefined;
  const logged = statements?.reduce((sum, s) => sum + s.cpuUsPerRequest, 0) ?? 0;
  const withStatements = statements
    ? { loggedStatementCpuMsPerMessage: Math.round(logged / 10) / 100, statementCpu: statements.slice(0, 25) }
    : {};
  process.stdout.write(JSON.stringify({ ...out, ...withStatements }, null, 2) + '\n');
} finally {
  await meter.close();
  await server.stop();
  await auth.close();
  await db.drop();
}
