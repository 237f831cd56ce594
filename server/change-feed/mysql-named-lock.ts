/**
 * A MySQL/MariaDB named lock (GET_LOCK) held on a connection of its own: one holder across all API nodes, released
 * when the holder closes or its connection dies (then `held()` turns false and another node can take over).
 * The name is scoped to the database so that test databases on one server do not share it. A FeedLease for
 * consumers whose state is in MySQL/MariaDB (HL7 outbound); pg-advisory-lease.ts is its PostgreSQL twin.
 */
import mysql from 'mysql2/promise';
import type { FeedLease } from './lease.js';

export class MysqlNamedLock implements FeedLease {
  private conn?: mysql.Connection;
  private scoped?: string;

  constructor(
    private readonly url: string,
    private readonly name: string,
  ) {}

  /** True when this process holds the lock (taking it if it is free). Never waits for another holder. */
  async held(): Promise<boolean> {
    try {
      if (this.conn) {
        const [rows] = await this.conn.query<mysql.RowDataPacket[]>(
          'SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS mine',
          [await this.lockName()],
        );
        if (Number(rows[0]?.mine) === 1) return true;
        await this.drop();
      }
      const conn = await mysql.createConnection({ uri: this.url });
      conn.on('error', () => void this.drop());
      const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, 0) AS got', [
        await this.lockName(conn),
      ]);
      if (Number(rows[0]?.got) === 1) {
        this.conn = conn;
        return true;
      }
      await conn.end().catch(() => undefined);
      return false;
    } catch {
      await this.drop();
      return false;
    }
  }

  private async lockName(conn = this.conn): Promise<string> {
    if (!this.scoped) {
      const [rows] = await conn!.query<mysql.RowDataPacket[]>('SELECT DATABASE() AS db');
      this.scoped = `${rows[0]?.db ?? ''}:${this.name}`.slice(0, 64);
    }
    return this.scoped;
  }

  private async drop(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    await c?.end().catch(() => c.destroy());
  }

  /** Releases the lock (closing its connection). */
  async release(): Promise<void> {
    await this.drop();
  }
}
