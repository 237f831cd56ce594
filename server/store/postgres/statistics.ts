/**
 * Planner statistics for embedded PGlite, which has no autovacuum: without ANALYZE the planner keeps
 * guessing row counts and picks poor plans as the data grows. Runs ANALYZE at start and again after
 * every 20 % growth (at least 1,000 versions) in the background. A PostgreSQL server does this itself.
 */
import type { SqlClient } from './sql-client.js';

export class StatisticsKeeper {
  #writtenSince = 0;
  #baseline = 0;
  #running: Promise<void> | undefined;

  constructor(private readonly client: SqlClient) {}

  /** Analyses now (awaited): at start, so that plans over an existing data folder are sound. */
  async analyze(): Promise<void> {
    if (this.client.isServer) return;
    await this.client.exec('ANALYZE');
    const { rows } = await this.client.query<{ n: number }>({ text: 'SELECT count(*)::int AS n FROM fhir_history' });
    this.#baseline = Number(rows[0]?.n ?? 0);
    this.#writtenSince = 0;
  }

  /** Counts written versions; starts a background ANALYZE when enough changed. */
  noteWrites(count: number): void {
    if (this.client.isServer) return;
    this.#writtenSince += count;
    if (this.#running || this.#writtenSince < Math.max(1000, this.#baseline * 0.2)) return;
    this.#running = this.analyze()
      .catch(() => undefined) // statistics are an optimisation; a closed store simply stops here
      .finally(() => {
        this.#running = undefined;
      });
  }

  /** Waits for a background ANALYZE (before closing the database under it). */
  async settle(): Promise<void> {
    await this.#running;
  }
}
