/**
 * PostgreSQL CPU per statement, from the server's own log: the benchmark database is created with
 * `log_statement_stats = on` and `log_min_duration_statement = 0` (ALTER DATABASE: its connections only, nothing
 * else on the server changes), so each protocol step of each statement — parse, bind (planning, for an unnamed
 * statement), execute, or a simple-protocol statement — is logged with the backend's user + system CPU for that step.
 * A phase's lines (this database, between two instants) are then summed per step and statement text, giving where
 * the PostgreSQL CPU of a request goes, e.g. how much of a create is planning the duplicate check.
 * With NILECARE_BENCH_AUTO_EXPLAIN_MS=n the plans of the statements slower than n ms go to the same log (auto_explain,
 * ANALYZE on), e.g. to see which plan a prepared statement kept.
 * Needs read access to the server log (NILECARE_BENCH_POSTGRES_LOG, default Debian's path) and a superuser to set
 * the two settings. The log grows by ~1 kB per step while it runs: a measuring tool, not a load test.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import pg from 'pg';

export const POSTGRES_LOG = process.env.NILECARE_BENCH_POSTGRES_LOG ?? '/var/log/postgresql/postgresql-15-main.log';

/** Turns the statement log on for the connections made to `dbName` from now on. */
export async function logStatementCpu(adminUrl: string, dbName: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(dbName)} SET log_min_duration_statement = 0`);
    await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(dbName)} SET log_statement_stats = on`);
    // and the plans (EXPLAIN ANALYZE) of the statements slower than this many ms, from auto_explain
    const slowMs = Number(process.env.NILECARE_BENCH_AUTO_EXPLAIN_MS);
    if (slowMs > 0) {
      for (const setting of [
        `session_preload_libraries = 'auto_explain'`,
        `auto_explain.log_min_duration = ${Math.floor(slowMs)}`,
        'auto_explain.log_analyze = on',
      ])
        await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(dbName)} SET ${setting}`);
    }
  } finally {
    await admin.end();
  }
}

export type StatementCpu = { step: string; statement: string; perRequest: number; cpuUsPerRequest: number };

// `%m [%p] %q%u@%d ` (Debian's log_line_prefix): time, pid, user@database, then the level and the message
const LINE = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC \[(\d+)\] \S+@(\S+) (\w+):\s+(.*)$/;
const DURATION = /^duration: [\d.]+ ms\s+(parse|bind|execute|statement)\s*([^:]*?):?\s(.*)$/;
const USAGE = /!\s+([\d.]+) s user, ([\d.]+) s system/;

/**
 * The CPU of the statements `dbName`'s backends ran between `from` and `to`, per request (`requests`), biggest
 * first. Each step's usage line follows its duration line in the same backend (PostgreSQL logs the duration, then
 * the statistics); the statement is named by its first 100 characters.
 */
export function statementCpu(
  dbName: string,
  from: Date,
  to: Date,
  requests: number,
  top = 12,
  fromByte = 0,
): StatementCpu[] {
  const lines = logSince(fromByte).split('\n');
  const pending = new Map<string, string>(); // pid → step and statement awaiting its usage line
  const cpu = new Map<string, number>();
  const count = new Map<string, number>();
  let inPhase = false;
  let pid = '';
  for (const line of lines) {
    const m = LINE.exec(line);
    if (m) {
      const at = new Date(`${m[1]!.replace(' ', 'T')}Z`);
      inPhase = m[3] === dbName && at >= from && at <= to;
      pid = m[2]!;
      const d = inPhase && m[4] === 'LOG' ? DURATION.exec(m[5]!) : null;
      if (d) {
        const name = d[2]!.trim();
        const statement = `${name && name !== '<unnamed>' ? `${name} ` : ''}${d[3]!}`
          .replace(/\s+/g, ' ')
          .slice(0, 100);
        const key = `${d[1]}\t${statement}`;
        pending.set(pid, key);
        count.set(key, (count.get(key) ?? 0) + 1);
      }
      continue;
    }
    const u = inPhase ? USAGE.exec(line) : null;
    const key = pending.get(pid);
    if (u && key) {
      cpu.set(key, (cpu.get(key) ?? 0) + Number(u[1]) + Number(u[2]));
      pending.delete(pid);
    }
  }
  return [...cpu]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, seconds]) => {
      const [step, statement] = key.split('\t') as [string, string];
      return {
        step,
        statement,
        perRequest: Math.round(((count.get(key) ?? 0) / requests) * 100) / 100,
        cpuUsPerRequest: Math.round((seconds * 1e6) / requests),
      };
    });
}

/** The log's size now: pass it to statementCpu as `fromByte` to read only what a phase appends. */
export function logSize(): number {
  try {
    return statSync(POSTGRES_LOG).size;
  } catch {
    return 0;
  }
}

/**
 * The log from byte `fromByte` on. The shared server log outgrows what one string can hold (512 MB: seen
 * 2026-12-07, ERR_STRING_TOO_LONG), so a phase reads only its own part; a log rotated since then is read whole.
 */
function logSince(fromByte: number): string {
  const fd = openSync(POSTGRES_LOG, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = fromByte <= size ? fromByte : 0;
    const bytes = Buffer.alloc(size - start);
    for (let at = 0; at < bytes.length;) {
      const n = readSync(fd, bytes, at, bytes.length - at, start + at);
      if (n === 0) break;
      at += n;
    }
    return bytes.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
