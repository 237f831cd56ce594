/**
 * Opening the PostgreSQL store: embedded PGlite (the product default, no server needed; data in a
 * folder, or in memory) or a PostgreSQL server through a pg.Pool. The caller runs `init()`.
 */
import pg from 'pg';
import type { ResourceStore } from '../resource-store.js';
import { pgClient } from './pg-client.js';
import { pgliteClient } from './pglite-client.js';
import type { SqlClient } from './sql-client.js';
import { PostgresStore } from './postgres-store.js';
import { lockFolder } from './folder-lock.js';
import { checkpointPolicyFromEnv, startCheckpointer } from './pglite-checkpointer.js';

/** The store's SQL client when it is a PostgreSQL/PGlite store: the server keeps its own state there (server/state). */
export function sqlClientOf(store: ResourceStore): SqlClient | undefined {
  return store instanceof PostgresStore ? store.sqlClient : undefined;
}

/**
 * Where PGlite runs: by default in a worker thread (pglite-thread.ts: its statements no longer hold up the server's own
 * thread, so a lone request is answered while a bulk load's statements run — lone GET p50 3.4–4.7 s → 0.5–1.3 s under
 * 4 bundle loads, docs/performance.md); NILECARE_PGLITE_THREAD=main keeps it in this thread (as before).
 */
export function pgliteThread(env: NodeJS.ProcessEnv = process.env): 'main' | 'worker' {
  return (env['NILECARE_PGLITE_THREAD'] ?? '').trim().toLowerCase() === 'main' ? 'main' : 'worker';
}

/**
 * A PGlite client on a folder (the caller takes the folder's lock: folder-lock.ts) or in memory.
 * On a folder: a commit is fsynced before it resolves (pglite-fsync.ts; NILECARE_PGLITE_FSYNC=off to opt out,
 * unsafe on an OS crash) and timed checkpoints bound the WAL a restart after a crash replays
 * (pglite-checkpointer.ts; NILECARE_PGLITE_CHECKPOINT=off to checkpoint only at close).
 */
export async function openPgliteClient(
  dataDir?: string /* undefined = in memory */,
  thread: 'main' | 'worker' = pgliteThread(),
): Promise<SqlClient> {
  const opened =
    thread === 'worker'
      ? await (await import('./pglite-thread.js')).openPgliteThread(dataDir)
      : await (await import('./pglite-create.js')).createPglite(dataDir);
  const client = pgliteClient(opened.db, opened.description);
  const policy = dataDir !== undefined ? checkpointPolicyFromEnv() : undefined;
  if (!policy) return client;
  const checkpointer = startCheckpointer(client, policy);
  const nudged = <T>(result: Promise<T>) => {
    void result.finally(() => checkpointer.nudge()).catch(() => undefined);
    return result;
  };
  return {
    ...client,
    query: (statement) => nudged(client.query(statement)),
    transaction: (fn) => nudged(client.transaction(fn)),
    close: async () => {
      await checkpointer.stop();
      await client.close();
    },
  };
}

export async function openPgliteStore(options: {
  dataDir?: string /* undefined = in memory */;
  thread?: 'main' | 'worker';
}): Promise<ResourceStore> {
  // one process per folder (folder-lock.ts): a second opener is refused before it touches the folder
  const lock = options.dataDir ? lockFolder(options.dataDir) : undefined;
  try {
    const client = await openPgliteClient(options.dataDir, options.thread);
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

/**
 * How long an unused pooled connection stays open. pg's default, 10 s, closed the connections a quiet spell left
 * idle (with group commit a burst of creates keeps only a few busy), and the next burst paid for new ones: a
 * PostgreSQL backend's start (~17 ms CPU), its first statement on cold catalog caches (3–21 ms), and five custom
 * plans of each prepared statement before the generic one (bench statement log, 2026-12-07: 8 new connections in a
 * 300-read phase, ~270 µs of PostgreSQL CPU per read — the `fhir_read` "bind" cost seen there).
 */
export const IDLE_CONNECTION_MS = 10 * 60_000;

/**
 * `NILECARE_PG_GROUP_COMMIT=off` writes every write with its own statement (group-commit.ts), for measuring what
 * group commit saves; any other value or none: on.
 */
export async function openPostgresStore(options: { url: string; poolSize?: number }): Promise<ResourceStore> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 16,
    idleTimeoutMillis: IDLE_CONNECTION_MS,
    // idle connections do not keep the process alive (a script that forgets close() still ends)
    allowExitOnIdle: true,
  });
  pool.on('error', () => undefined); // an idle connection dropped by the server: the pool replaces it
  const client = pgClient(pool, `postgresql (${redact(options.url)})`);
  return new PostgresStore(client, process.env['NILECARE_PG_GROUP_COMMIT'] === 'off' ? { groupCommit: false } : {});
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
