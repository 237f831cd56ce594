/**
 * CPU seconds spent by the server process and by the PostgreSQL backends serving the benchmark database during a
 * phase (/proc/<pid>/stat utime + stime). On a machine shared with other work, wall-clock rates mostly measure the
 * neighbours; CPU per operation does not, and gives the rate the cores could sustain if they were ours.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';

const TICKS_PER_SECOND = 100;

export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the line)
  } catch {
    return 0;
  }
}

export type CpuSnapshot = { server: number; backends: Map<number, number>; at: number };
export type CpuUsage = { wallSeconds: number; serverCpuSeconds: number; postgresCpuSeconds: number };

export class CpuMeter {
  private constructor(
    private readonly serverPid: number,
    private readonly admin?: pg.Client,
    private readonly dbName?: string,
  ) {}

  static async open(serverPid: number, postgres?: { adminUrl: string; dbName: string }): Promise<CpuMeter> {
    if (!postgres) return new CpuMeter(serverPid);
    const admin = new pg.Client({ connectionString: postgres.adminUrl });
    await admin.connect();
    return new CpuMeter(serverPid, admin, postgres.dbName);
  }

  private async backendPids(): Promise<number[]> {
    if (!this.admin) return [];
    const res = await this.admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
      this.dbName,
    ]);
    return res.rows.map((r) => r.pid);
  }

  async snapshot(): Promise<CpuSnapshot> {
    const backends = new Map<number, number>();
    for (const pid of await this.backendPids()) backends.set(pid, cpuTicks(pid));
    return { server: cpuTicks(this.serverPid), backends, at: performance.now() };
  }

  async since(start: CpuSnapshot): Promise<CpuUsage> {
    const end = await this.snapshot();
    let pgTicks = 0;
    for (const [pid, ticks] of end.backends) pgTicks += ticks - (start.backends.get(pid) ?? 0);
    const r = (n: number) => Math.round(n * 100) / 100;
    return {
      wallSeconds: r((end.at - start.at) / 1000),
      serverCpuSeconds: r((end.server - start.server) / TICKS_PER_SECOND),
      postgresCpuSeconds: r(pgTicks / TICKS_PER_SECOND),
    };
  }

  /**
   * Waits (at most `maxMs`) until no VACUUM or ANALYZE runs on the benchmark database: with autovacuum off the store
   * VACUUMs and ANALYZEs its tables itself after every 20 % growth (server/store/postgres/statistics.ts), in the
   * background, so the one the scale load set off would otherwise be charged to whichever phase comes next (seen: 38.5
   * ms of PostgreSQL CPU per $lastn request for a statement of ~2 ms). Returns the seconds waited.
   */
  async settle(maxMs = 10 * 60_000): Promise<number> {
    if (!this.admin) return 0;
    const started = performance.now();
    while (performance.now() - started < maxMs) {
      const res = await this.admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = $1 AND state <> 'idle' AND query ~* '^\\s*(VACUUM|ANALYZE)'`,
        [this.dbName],
      );
      if ((res.rows[0]?.n ?? 0) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return Math.round((performance.now() - started) / 100) / 10;
  }

  async close(): Promise<void> {
    await this.admin?.end();
  }
}
