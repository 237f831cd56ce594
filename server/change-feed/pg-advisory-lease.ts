/**
 * A PostgreSQL session advisory lock (pg_try_advisory_lock) held on a connection of its own: one holder across all
 * nodes, released when the holder releases it or its connection dies (then `held()` turns false and another node
 * can take over). The key is (hashtext(current database), hashtext(name)), so test databases on one server do not
 * share it. The FeedLease for consumers whose state is in PostgreSQL; mysql-named-lock.ts is its MySQL twin.
 */
import pg from 'pg';
import type { FeedLease } from './lease.js';

export class PgAdvisoryLease implements FeedLease {
  private client?: pg.Client;

  constructor(
    private readonly url: string,
    private readonly name: string,
  ) {}

  /** True when this process holds the lease (taking it if it is free). Never waits for another holder. */
  async held(): Promise<boolean> {
    try {
      if (this.client) {
        // A session lock lives as long as its session: the connection answering is the lock still held.
        const { rows } = await this.client.query<{ mine: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()) AS mine`,
        );
        if (rows[0]?.mine) return true;
        await this.drop();
      }
      const client = new pg.Client({ connectionString: this.url });
      client.on('error', () => void this.drop());
      try {
        await client.connect();
        const { rows } = await client.query<{ got: boolean }>(
          'SELECT pg_try_advisory_lock(hashtext(current_database()), hashtext($1)) AS got',
          [this.name],
        );
        if (rows[0]?.got) {
          this.client = client;
          return true;
        }
      } catch {
        // the server is not there: not held; tried again at the next poll
      }
      await client.end().catch(() => undefined);
      return false;
    } catch {
      await this.drop();
      return false;
    }
  }

  private async drop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  /** Releases the lease (closing its connection ends the session lock). */
  async release(): Promise<void> {
    await this.drop();
  }
}
