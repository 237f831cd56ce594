/** High-rate rows (bulkUpsert writes) collected per batch and flushed as multi-row upserts of 500. */
import type { SqlTx } from './sql-client.js';
import { owned } from './row-ownership.js';
import { insertMany } from './row-sql.js';

export class BulkRows {
  /** table → conflict columns + rows keyed by the conflict key (last wins within a batch). */
  private readonly tables = new Map<string, { conflict: string[]; rows: Map<string, Record<string, unknown>> }>();

  add(table: string, conflict: string[], values: Record<string, unknown>): void {
    let entry = this.tables.get(table);
    if (!entry) this.tables.set(table, (entry = { conflict, rows: new Map() }));
    entry.rows.set(JSON.stringify(conflict.map((c) => values[c])), owned(table, values));
  }

  get size(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.rows.size;
    return n;
  }

  async flush(tx: SqlTx, only?: string): Promise<void> {
    for (const [table, { conflict, rows }] of this.tables) {
      if (only && table !== only) continue;
      const all = [...rows.values()];
      for (let i = 0; i < all.length; i += 500) await insertMany(tx, table, conflict, all.slice(i, i + 500));
      this.tables.delete(table);
    }
  }
}
