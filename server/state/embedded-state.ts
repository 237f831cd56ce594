/**
 * The embedded side of the server's state: the FHIR store's own PostgreSQL (the PGlite folder by default), or with a
 * MongoDB store a PGlite folder of the state's own (locked: one process at a time), opened on first use; each schema
 * migrated by the same runner as the MySQL layout (migrations/embedded/postgres/…).
 */
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { ResourceStore } from '../store/resource-store.js';
import type { SqlClient } from '../store/postgres/sql-client.js';
import { sqlClientOf, openPgliteClient } from '../store/postgres/open-postgres-store.js';
import { lockFolder } from '../store/postgres/folder-lock.js';
import { migrateDatabase } from '../migrate/migrate.js';
import { EMBEDDED_MIGRATIONS_ROOT, openStoreMigrationSession } from './migration-session.js';
import { postgresStateDb, type StateDb } from './state-db.js';

export interface EmbeddedSchema {
  db: StateDb;
  /** `embedded: schema X in <database>`, for the start log. */
  where: string;
  /** On a PostgreSQL server (several nodes may share it) rather than the embedded PGlite (one process). */
  isServer: boolean;
}

export interface EmbeddedState {
  /** A schema of the embedded database, migrated. */
  schema(name: string): Promise<EmbeddedSchema>;
}

/** `closers` gets what this opens (the state's own PGlite and its lock). */
export function embeddedState(
  config: Config,
  store: ResourceStore,
  logger: Logger,
  closers: Array<() => Promise<void>>,
): EmbeddedState {
  let opened: Promise<SqlClient> | undefined;
  const client = (): Promise<SqlClient> =>
    (opened ??= (async () => {
      const own = sqlClientOf(store);
      if (own) return own;
      mkdirSync(config.embeddedDataDir, { recursive: true });
      // The store is not PostgreSQL (Mongo): this PGlite folder is the state's alone, one process at a time.
      const lock = lockFolder(config.embeddedDataDir);
      const pglite = await openPgliteClient(config.embeddedDataDir).catch((error: unknown) => {
        lock.release();
        throw error;
      });
      closers.push(async () => {
        await pglite.close();
        lock.release();
      });
      return pglite;
    })());
  const migrate = async (c: SqlClient, schema: string) => {
    const migrated = await migrateDatabase({
      engine: 'postgres',
      database: schema,
      connection: {},
      session: () => openStoreMigrationSession(c, schema),
      migrationsRoot: EMBEDDED_MIGRATIONS_ROOT,
      log: (line) => logger.debug(line),
    });
    if (migrated.applied.length > 0) logger.info({ applied: migrated.applied.length }, `${schema} (embedded) migrated`);
  };
  return {
    async schema(name) {
      const c = await client();
      await migrate(c, name);
      return {
        db: postgresStateDb(c, name, `${name} in ${c.description}`),
        where: `embedded: schema ${name} in ${c.description}`,
        isServer: c.isServer,
      };
    },
  };
}
