/**
 * CPU seconds spent by the server process and by the PostgreSQL backends serving the benchmark database during a
 * phase (/proc/<pid>/stat utime + stime). On a machine shared with other work, wall-clock rates mostly measure the
 * neighbours; CPU per operation does not, and gives the rate the cores could sustain if they were ours.
 * The server's CPU is split (issue 20: JavaScript, GC, PostgreSQL) when the meter is given the server's /metrics:
 * `gcPauseSeconds` = the V8 garbage-collection pauses on the main thread (prom-client's
 * nilecare_nodejs_gc_duration_seconds, from perf_hooks 'gc' entries, all kinds summed), `serverMainThreadCpuSeconds`
 * = the main thread's CPU (/proc/<pid>/task/<pid>/stat): JavaScript is the main thread less the GC pauses; the rest of
 * the server's CPU ran on its other threads (V8's platform workers: concurrent/parallel marking, sweeping and
 * scavenging, background compilation; the libuv pool). So GC's full cost lies between the pauses and the pauses plus
 * the other threads. The pauses are wall time: on a loaded machine they include time the main thread waited for a core.
 * PostgreSQL backends that end during a phase (a pool closing a connection) are counted up to their last ticks seen:
 * the meter reads the backends' ticks every BACKEND_POLL_MS while it is open. Until 2026-12-08 it summed only the
 * backends alive at the phase's end, so every closed connection's CPU went uncounted (helper hl7: HL7 runs went through
 * 54–103 backends, one per SQL error) and the PostgreSQL figures of such runs were too low. A backend that lives and
 * ends between two polls is still missed.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';

const TICKS_PER_SECOND = 100;

/** How often an open meter reads the benchmark database's backends (their last ticks, should they end). */
const BACKEND_POLL_MS = 250;

export function cpuTicks(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the line)
  } catch {
    return 0;
  }
}

/** CPU ticks of the process's main thread (its thread id is the process id). */
export function mainThreadTicks(pid: number): number {
  return cpuTicks(`${pid}/task/${pid}`);
}

/** Where the server's GC pauses are read: its /metrics and the headers that may read it (a token in SMART mode). */
export type GcSource = { baseUrl: string; headers: () => Record<string, string> };

/** Seconds of GC pause so far (the sum over the kinds of nilecare_nodejs_gc_duration_seconds); undefined if unread. */
export async function gcPauseSeconds(source: GcSource): Promise<number | undefined> {
  try {
    const res = await fetch(new URL('/metrics', source.baseUrl), { headers: source.headers() });
    if (!res.ok) return undefined;
    const text = await res.text();
    let sum: number | undefined;
    for (const m of text.matchAll(/^nilecare_nodejs_gc_duration_seconds_sum(?:\{[^}]*\})? (\S+)$/gm))
      sum = (sum ?? 0) + Number(m[1]);
    return sum;
  } catch {
    return undefined;
  }
}

export type CpuSnapshot = {
  server: number;
  serverMain: number;
  gcSeconds: number | undefined;
  backends: Map<number, number>;
  at: number;
};
export type CpuUsage = {
  wallSeconds: number;
  serverCpuSeconds: number;
  /** The server's main thread alone (JavaScript and the GC pauses). */
  serverMainThreadCpuSeconds: number;
  /** GC pauses on the main thread (wall time of the pauses), null without a GC source or when /metrics failed. */
  gcPauseSeconds: number | null;
  postgresCpuSeconds: number;
};

export class CpuMeter {
  /** Every backend of the database seen while the meter was open: its last ticks and when they were read. */
  readonly #lastSeen = new Map<number, { ticks: number; at: number }>();
  #poll: NodeJS.Timeout | undefined;
  #polling = false;

  private constructor(
    private readonly serverPid: number,
    private readonly admin?: pg.Client,
    private readonly dbName?: string,
    private readonly gc?: GcSource,
  ) {
    if (admin) this.#poll = setInterval(() => void this.#pollBackends(), BACKEND_POLL_MS).unref();
  }

  async #pollBackends(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      for (const pid of await this.backendPids()) this.#see(pid, cpuTicks(pid));
    } catch {
      // the admin connection closed under a last poll
    } finally {
      this.#polling = false;
    }
  }

  #see(pid: number, ticks: number): void {
    if (ticks > 0) this.#lastSeen.set(pid, { ticks, at: performance.now() });
  }

  /** `gc`: the server's /metrics, for the GC pauses (read outside the CPU window: a scrape is not the phase's work). */
  static async open(
    serverPid: number,
    postgres?: { adminUrl: string; dbName: string },
    gc?: GcSource,
  ): Promise<CpuMeter> {
    if (!postgres) return new CpuMeter(serverPid, undefined, undefined, gc);
    const admin = new pg.Client({ connectionString: postgres.adminUrl });
    await admin.connect();
    return new CpuMeter(serverPid, admin, postgres.dbName, gc);
  }

  private async backendPids(): Promise<number[]> {
    if (!this.admin) return [];
    const res = await this.admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
      this.dbName,
    ]);
    return res.rows.map((r) => r.pid);
  }

  /** At the start of a phase: the GC pauses first, then the CPU ticks (the scrape falls before the window). */
  async snapshot(): Promise<CpuSnapshot> {
    const gcSeconds = this.gc ? await gcPauseSeconds(this.gc) : undefined;
    return { ...(await this.ticks()), gcSeconds };
  }

  private async ticks(): Promise<Omit<CpuSnapshot, 'gcSeconds'>> {
    const backends = new Map<number, number>();
    for (const pid of await this.backendPids()) {
      const ticks = cpuTicks(pid);
      backends.set(pid, ticks);
      this.#see(pid, ticks);
    }
    return {
      server: cpuTicks(this.serverPid),
      serverMain: mainThreadTicks(this.serverPid),
      backends,
      at: performance.now(),
    };
  }

  /** At the end of a phase: the CPU ticks first, then the GC pauses (the scrape falls after the window). */
  async since(start: CpuSnapshot): Promise<CpuUsage> {
    const end = await this.ticks();
    const gcEnd = this.gc && start.gcSeconds !== undefined ? await gcPauseSeconds(this.gc) : undefined;
    let pgTicks = 0;
    for (const [pid, ticks] of end.backends) pgTicks += ticks - (start.backends.get(pid) ?? 0);
    // the backends that ended during the phase: up to their last ticks seen
    for (const [pid, seen] of this.#lastSeen)
      if (!end.backends.has(pid) && seen.at >= start.at) pgTicks += seen.ticks - (start.backends.get(pid) ?? 0);
    const r = (n: number) => Math.round(n * 100) / 100;
    return {
      wallSeconds: r((end.at - start.at) / 1000),
      serverCpuSeconds: r((end.server - start.server) / TICKS_PER_SECOND),
      serverMainThreadCpuSeconds: r((end.serverMain - start.serverMain) / TICKS_PER_SECOND),
      gcPauseSeconds:
        gcEnd !== undefined && start.gcSeconds !== undefined
          ? Math.round((gcEnd - start.gcSeconds) * 1000) / 1000
          : null,
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
    clearInterval(this.#poll);
    await this.admin?.end();
  }
}
