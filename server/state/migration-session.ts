/**
 * A migration session (server/migrate) on the FHIR store's own PostgreSQL client, for the state schemas kept there
 * (nilecare_auth, nilecare_state …): the whole run is one transaction on the store's connection (PGlite has only
 * one) with the search path on the target schema, so the runner's history table and scripts land in that schema
 * and no store statement interleaves. The runner's own transactions become savepoints.
 */
import { join } from 'node:path';
import type { MigrationSession } from '../migrate/connection.js';
import { DEFAULT_MIGRATIONS_ROOT } from '../migrate/migrate.js';
import { ScriptError } from '../migrate/connection.js';
import type { SqlClient, SqlExecutor } from '../store/postgres/sql-client.js';
import { toDollarPlaceholders } from './state-db.js';

/**
 * The embedded state schemas' scripts: migrations/embedded/postgres/<schema>. Apart from migrations/postgres so that
 * `npm run migrate` (which migrates every folder there on the PostgreSQL server) never creates them as databases.
 */
export const EMBEDDED_MIGRATIONS_ROOT = join(DEFAULT_MIGRATIONS_ROOT, 'embedded');

export async function openStoreMigrationSession(client: SqlClient, schema: string): Promise<MigrationSession> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  let release!: (commit: boolean) => void;
  let ready!: (tx: SqlExecutor) => void;
  const txReady = new Promise<SqlExecutor>((resolve) => (ready = resolve));
  const decided = new Promise<boolean>((resolve) => (release = resolve));
  const done = client
    .transaction(async (tx) => {
      ready(tx);
      if (!(await decided)) throw new RollbackRequested();
    })
    .catch((error: unknown) => {
      if (!(error instanceof RollbackRequested)) throw error;
    });
  const tx = await txReady;
  await tx.query({ text: `CREATE SCHEMA IF NOT EXISTS ${schema}` });
  await tx.query({ text: `SET LOCAL search_path TO ${schema}, public` });
  await tx.query({ text: 'SET LOCAL client_min_messages = warning' });
  await tx.query({ text: "SET LOCAL TIME ZONE 'UTC'" });
  let savepoint = 0;
  return {
    engine: 'postgres',
    schemaName: schema,
    databaseName: client.description,
    transactionalDdl: true,
    async query<T>(sql: string, params: readonly unknown[] = []) {
      return (await tx.query({ text: toDollarPlaceholders(sql), values: [...params] })).rows as T[];
    },
    async runScript(script, onStatement) {
      onStatement?.(1);
      try {
        if (tx.exec) await tx.exec(script);
        else await tx.query({ text: script });
      } catch (e) {
        const err = e as Error & { position?: string };
        const pos = err.position ? Number(err.position) : undefined;
        const line = pos ? script.slice(0, pos).split('\n').length : undefined;
        throw new ScriptError(`${line ? `line ${line}: ` : ''}${err.message}`, line, undefined, e);
      }
    },
    begin: async () => void (await tx.query({ text: `SAVEPOINT migration_${++savepoint}` })),
    commit: async () => void (await tx.query({ text: `RELEASE SAVEPOINT migration_${savepoint}` })),
    rollback: async () => void (await tx.query({ text: `ROLLBACK TO SAVEPOINT migration_${savepoint}` })),
    async tryLock(name) {
      // On a PostgreSQL server several nodes may start at once: one migrates, the others wait for its commit.
      if (client.isServer) await tx.query({ text: 'SELECT pg_advisory_xact_lock(hashtext($1))', values: [name] });
      return true;
    },
    async unlock() {
      // released at commit
    },
    async currentUser() {
      const res = await tx.query<{ u: string }>({ text: 'SELECT current_user AS u' });
      return String(res.rows[0]?.u ?? 'unknown');
    },
    async close() {
      release(true);
      await done;
    },
  };
}

class RollbackRequested extends Error {}
