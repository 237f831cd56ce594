/**
 * Opening the PostgreSQL store: embedded PGlite (the product default, no server needed; data in a
 * folder, or in memory) or a PostgreSQL server through a pg.Pool. The caller runs `init()`.
 */
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import pg from 'pg';
import type { ResourceStore } from '../resource-store.js';
import { pgClient } from './pg-client.js';
import { pgliteClient } from './pglite-client.js';
import { PostgresStore } from './postgres-store.js';
import { lockFolder } from './folder-lock.js';

export async function openPgliteStore(options: {
  dataDir?: string; /* undefined = in memory */
}): Promise<ResourceStore> {
  // one process per folder (folder-lock.ts): a second opener is refused before it touches the folder
  const lock = options.dataDir ? lockFolder(options.dataDir) : undefined;
  try {
    // relaxedDurability false (the default): each statement's changes reach the data folder before it resolves
    const db = await PGlite.create({ dataDir: options.dataDir, relaxedDurability: false, extensions: { pg_trgm } });
    const where = options.dataDir ? options.dataDir : 'in memory';
    const client = pgliteClient(db, `pglite (${where})`);
    return new PostgresStore({
      ...client,
      close: async () => {
        try {
          await client.close();
        } finally {
          lock?.release();
        }
      },
    });
  } catch (error) {
    lock?.release();
    throw error;
  }
}

export async function openPostgresStore(options: { url: string; poolSize?: number }): Promise<ResourceStore> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 16 });
  pool.on('error', () => undefined); // an idle connection dropped by the server: the pool replaces it
  return new PostgresStore(pgClient(pool, `postgresql (${redact(options.url)})`));
}

/** The URL without its password, for logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgresql';
  }
}
