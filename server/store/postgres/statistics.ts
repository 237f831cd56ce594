/**
 * Planner statistics when nobody else keeps them: embedded PGlite (no autovacuum) and a PostgreSQL server
 * running with `autovacuum = off`. Without ANALYZE the planner keeps the row counts of an empty database
 * and picks poor plans as the data grows (measured at 200k resources, server, autovacuum off:
 * Patient?name 12.7 ms → 0.16 ms and Encounter?subject:Patient.name 292 ms → 0.25 ms once analysed).
 * Analyses the store's tables after every 20 % growth (at least 1,000 versions), in the background; on a
 * server also VACUUMs them (visibility map for index-only scans, dead index rows of updates), as
 * autovacuum would. A server with autovacuum on is left to it.
 * A run that falls due less than ANALYZE_REST_FACTOR × the previous run's duration after it ended waits until then
 * (analyzeRestMs): the keeper spends at most a fifth of the time analysing. A fresh store's first load grew by its
 * 1,000-version floor every second and ran a VACUUM (ANALYZE) of 0.5–1.1 s after another — six in a 12 s Synthea
 * ingest, a fifth of its PostgreSQL CPU (bench/server-ingest.ts --statement-cpu) — each reading nearly every row of
 * the tables it had read the time before.
 * On a server the change feed (fhir_change) is VACUUMed more often, alone: every poll of the feed walks its dead index
 * entries (change-vacuum.ts), and 20 % growth at 1M is 200k of them.
 */
import { CHANGE_VACUUM_EVERY, CHANGE_VACUUM_SHARE, vacuumChanges } from './change-vacuum.js';
import { INDEX_TABLES } from './schema.js';
import type { SqlClient } from './sql-client.js';

const STORE_TABLES = ['fhir_resource', 'fhir_history', 'fhir_change', ...INDEX_TABLES].join(', ');

/** Versions written since the last analysis that start a new one: 20 % of the data, at least 1,000. */
export function analyzeDue(writtenSince: number, baseline: number): boolean {
  return writtenSince >= Math.max(1000, baseline * 0.2);
}

/** A run due sooner than this many times the previous run's duration after it ended waits (analyzeRestMs). */
export const ANALYZE_REST_FACTOR = 4;

/** How long a due run still waits: until ANALYZE_REST_FACTOR × the last run's duration has passed since it ended. */
export function analyzeRestMs(
  now: number,
  last: { endedAt: number; durationMs: number } | undefined,
  factor = ANALYZE_REST_FACTOR,
): number {
  if (!last) return 0;
  return Math.max(0, last.endedAt + factor * last.durationMs - now);
}

/**
 * PGlite at start: the versions written since fhir_history was last analysed, estimated from its growth in pages
 * (the planner scales the analysed row count by the current pages the same way); undefined when it never was, or was
 * analysed empty: then the store analyses before it serves. (A whole ANALYZE at every start cost 0.5 s of CPU on a
 * 64 MB folder, more as the data grows: bench/pglite-open-steps.ts.)
 */
export function embeddedGrowth(table: { tuples: number; pages: number; now: number } | undefined): number | undefined {
  if (!table) return undefined;
  const [tuples, pages, now] = [Number(table.tuples), Number(table.pages), Number(table.now)];
  if (!(tuples > 0) || !(pages > 0)) return undefined;
  return Math.max(0, Math.round(tuples * (now / pages - 1)));
}

/** The longest wait for a VACUUM of the change feed once a version was written (checked at the next write). */
export const CHANGE_VACUUM_AFTER_MS = 5 * 60_000;

/**
 * Whether the change feed is due a VACUUM: enough versions written since the last (change-vacuum.ts: a share of the
 * `baseline` versions, at least CHANGE_VACUUM_EVERY), or one written long enough ago.
 */
export function changeVacuumDue(writtenSince: number, msSince: number, baseline: number): boolean {
  if (writtenSince >= Math.max(CHANGE_VACUUM_EVERY, baseline * CHANGE_VACUUM_SHARE)) return true;
  return writtenSince > 0 && msSince >= CHANGE_VACUUM_AFTER_MS;
}

export class StatisticsKeeper {
  #writtenSince = 0;
  #baseline = 0;
  #running: Promise<void> | undefined;
  #changesSinceVacuum = 0;
  #lastChangeVacuum = Date.now();
  #vacuumingChanges: Promise<void> | undefined;
  /** undefined until init(): whether this store keeps the statistics itself. */
  #active: boolean | undefined;
  /** The last background run: when it ended and how long it took (analyzeRestMs). */
  #lastRun: { endedAt: number; durationMs: number } | undefined;
  /** A due run waiting for its rest to end (unref'd: never keeps the process alive). */
  #restTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly client: SqlClient,
    private readonly restFactor = ANALYZE_REST_FACTOR,
  ) {}

  /** What the background analysis is doing: nothing, running, or a due run resting (analyzeRestMs). */
  get state(): 'idle' | 'running' | 'resting' {
    return this.#running ? 'running' : this.#restTimer ? 'resting' : 'idle';
  }

  /**
   * At start. PGlite: a folder never analysed (a new store) is analysed now (awaited), so that its first plans are
   * sound; one analysed before keeps its statistics (pg_statistic survives a restart, a kill -9 too), and the growth
   * since that analysis counts towards the next one, run in the background when due (embeddedGrowth). Server: decides
   * whether to keep the statistics and, if they are stale, refreshes them in the background.
   */
  async init(): Promise<void> {
    if (!this.client.isServer) {
      this.#active = true;
      const { rows } = await this.client.query<{ tuples: number; pages: number; now: number }>({
        text: `SELECT reltuples::float8 AS tuples, relpages::float8 AS pages,
                      (pg_relation_size(oid) / current_setting('block_size')::int)::float8 AS now
               FROM pg_class WHERE relname = 'fhir_history' AND relkind = 'r' AND pg_table_is_visible(oid)`,
      });
      const growth = embeddedGrowth(rows[0]);
      if (growth === undefined) {
        await this.analyze();
        this.#writtenSince = 0;
        return;
      }
      this.#baseline = Number(rows[0]!.tuples);
      this.#writtenSince = growth;
      this.#maybeStart();
      return;
    }
    const { rows } = await this.client.query<{ on: boolean }>({
      text: `SELECT current_setting('autovacuum')::boolean AS on`,
    });
    this.#active = rows[0]?.on !== true;
    if (!this.#active) return;
    const stats = await this.client.query<{ live: number; changed: number }>({
      text: `SELECT coalesce(sum(n_live_tup), 0)::float8 AS live, coalesce(sum(n_mod_since_analyze), 0)::float8 AS changed
             FROM pg_stat_user_tables WHERE relname = 'fhir_history'`,
    });
    const live = Number(stats.rows[0]?.live ?? 0);
    const changed = Number(stats.rows[0]?.changed ?? 0);
    this.#baseline = Math.max(0, live - changed);
    this.#writtenSince = changed;
    this.#maybeStart();
  }

  /** Refreshes the statistics now (awaited). */
  async analyze(): Promise<void> {
    if (this.client.isServer) {
      const changes = this.#changesSinceVacuum;
      await this.client.exec(`VACUUM (ANALYZE) ${STORE_TABLES}`);
      this.#vacuumedChanges(changes);
    } else {
      await this.client.exec('ANALYZE');
    }
    const { rows } = await this.client.query<{ n: number }>({
      text: `SELECT greatest(reltuples, 0)::float8 AS n FROM pg_class WHERE relname = 'fhir_history' AND relkind = 'r'`,
    });
    this.#baseline = Number(rows[0]?.n ?? 0);
  }

  /** Counts written versions; starts a background analysis when enough changed. */
  noteWrites(count: number): void {
    if (!this.#active) return;
    this.#writtenSince += count;
    this.#changesSinceVacuum += count;
    this.#maybeStart();
    this.#maybeVacuumChanges();
  }

  #maybeVacuumChanges(): void {
    // Server only: PGlite's client would run the VACUUM inside the transaction of a caller that wrote from within one
    // (a feed consumer's batch; VACUUM cannot run there), and it would hold PGlite's one connection meanwhile.
    if (!this.client.isServer || this.#running || this.#vacuumingChanges) return; // a full run vacuums fhir_change too
    if (!changeVacuumDue(this.#changesSinceVacuum, Date.now() - this.#lastChangeVacuum, this.#baseline)) return;
    const changes = this.#changesSinceVacuum;
    this.#vacuumingChanges = vacuumChanges(this.client)
      .then(() => this.#vacuumedChanges(changes))
      .catch(() => undefined) // an optimisation too; a closed store stops here
      .finally(() => {
        this.#vacuumingChanges = undefined;
      });
  }

  /** `changes` of the versions counted since the last VACUUM of the feed were in it when this one began. */
  #vacuumedChanges(changes: number): void {
    this.#changesSinceVacuum = Math.max(0, this.#changesSinceVacuum - changes);
    this.#lastChangeVacuum = Date.now();
  }

  #maybeStart(): void {
    if (this.#closed || this.#running || this.#restTimer || !analyzeDue(this.#writtenSince, this.#baseline)) return;
    const rest = analyzeRestMs(Date.now(), this.#lastRun, this.restFactor);
    if (rest > 0) {
      this.#restTimer = setTimeout(() => {
        this.#restTimer = undefined;
        this.#maybeStart();
      }, rest).unref();
      return;
    }
    this.#writtenSince = 0; // writes during the run count towards the next one
    const startedAt = Date.now();
    this.#running = this.analyze()
      .catch(() => undefined) // statistics are an optimisation; a closed store simply stops here
      .finally(() => {
        this.#lastRun = { endedAt: Date.now(), durationMs: Date.now() - startedAt };
        this.#running = undefined;
      });
  }

  /** Waits for a background analysis (before closing the database under it); no run starts after. */
  async settle(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#restTimer);
    this.#restTimer = undefined;
    await this.#running;
    await this.#vacuumingChanges;
  }
}
