/**
 * The state the server owns beside FHIR, opened at start where the configuration says: SMART users, refresh tokens,
 * login attempts and audit rows (nilecare_auth) on MySQL/MariaDB when AUTH_MYSQL_URL is set, else embedded; sessions,
 * grants, launch contexts and rate-limit counters on Redis when REDIS_URL is set, else embedded. Embedded means in the
 * FHIR store's own PostgreSQL — the PGlite folder by default — in the schemas nilecare_auth and nilecare_state,
 * migrated by the same runner as the MySQL layout (migrations/embedded/postgres/…). With a MongoDB store the embedded state
 * gets a PGlite of its own in PGLITE_DATA_DIR. The HL7 v2 message log (nilecare_interop) is embedded the same way when
 * INTEROP_MYSQL_URL is not set (embeddedInteropDb, opened by server/hl7-wiring.ts).
 */
import { mkdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { ResourceStore } from '../store/resource-store.js';
import type { SqlClient } from '../store/postgres/sql-client.js';
import { sqlClientOf, openPgliteClient } from '../store/postgres/open-postgres-store.js';
import { EMBEDDED_MIGRATIONS_ROOT } from './migration-session.js';
import { migrateDatabase } from '../migrate/migrate.js';
import { createDatabaseIfMissing } from '../migrate/create-database.js';
import { openMysqlState } from '../auth/smart-auth.js';
import { reaching, redact } from '../component-error.js';
import { lockFolder } from '../store/postgres/folder-lock.js';
import { openStoreMigrationSession } from './migration-session.js';
import { postgresStateDb, type StateDb } from './state-db.js';
import { asRedis, sqlKv } from './sql-kv.js';

export type ServerState = {
  /** nilecare_auth, migrated. */
  authDb(): Promise<StateDb>;
  /** Redis, or its embedded stand-in. */
  kv(): Promise<Redis>;
  /**
   * nilecare_interop in PostgreSQL dialect (the HL7 v2 message log, queue, mappings, endpoints), migrated: for when
   * INTEROP_MYSQL_URL is not set (server/hl7-wiring.ts). `isServer`: on a PostgreSQL server (several nodes may share
   * it) rather than the embedded PGlite (one process).
   */
  embeddedInteropDb(): Promise<{ db: StateDb; isServer: boolean }>;
  /** nilecare_subscriptions (delivery bookkeeping), migrated: always beside the FHIR data (embedded client). */
  subscriptionsDb(): Promise<StateDb>;
  /** Where each opened component lives, for the start log. */
  readonly components: Record<string, string>;
  close(): Promise<void>;
};

export function openServerState(config: Config, store: ResourceStore, logger: Logger): ServerState {
  const components: Record<string, string> = {};
  const closers: Array<() => Promise<void>> = [];
  let embedded: Promise<SqlClient> | undefined;
  const embeddedClient = (): Promise<SqlClient> =>
    (embedded ??= (async () => {
      const own = sqlClientOf(store);
      if (own) return own;
      mkdirSync(config.embeddedDataDir, { recursive: true });
      // The store is not PostgreSQL (Mongo): this PGlite folder is the state's alone, one process at a time.
      const lock = lockFolder(config.embeddedDataDir);
      const client = await openPgliteClient(config.embeddedDataDir).catch((error: unknown) => {
        lock.release();
        throw error;
      });
      closers.push(async () => {
        await client.close();
        lock.release();
      });
      return client;
    })());
  const migrateEmbedded = async (client: SqlClient, schema: string) => {
    const migrated = await migrateDatabase({
      engine: 'postgres',
      database: schema,
      connection: {},
      session: () => openStoreMigrationSession(client, schema),
      migrationsRoot: EMBEDDED_MIGRATIONS_ROOT,
      log: (line) => logger.debug(line),
    });
    if (migrated.applied.length > 0) logger.info({ applied: migrated.applied.length }, `${schema} (embedded) migrated`);
  };

  let auth: Promise<StateDb> | undefined;
  let kv: Promise<Redis> | undefined;
  let interop: Promise<{ db: StateDb; isServer: boolean }> | undefined;
  let subscriptions: Promise<StateDb> | undefined;
  return {
    components,
    embeddedInteropDb: () =>
      (interop ??= (async () => {
        const client = await embeddedClient();
        await migrateEmbedded(client, 'nilecare_interop');
        components['hl7-message-log'] = `embedded: schema nilecare_interop in ${client.description}`;
        const db = postgresStateDb(client, 'nilecare_interop', `nilecare_interop in ${client.description}`);
        return { db, isServer: client.isServer };
      })()),
    subscriptionsDb: () =>
      (subscriptions ??= (async () => {
        const client = await embeddedClient();
        await migrateEmbedded(client, 'nilecare_subscriptions');
        components['subscriptions'] = `embedded: schema nilecare_subscriptions in ${client.description}`;
        return postgresStateDb(client, 'nilecare_subscriptions', `nilecare_subscriptions in ${client.description}`);
      })()),
    authDb: () =>
      (auth ??= (async () => {
        const url = config.auth.mysqlUrl;
        if (url) {
          const component = 'SMART authorisation database (nilecare_auth)';
          await reaching(component, 'AUTH_MYSQL_URL', url, async () => {
            await createDatabaseIfMissing('mysql', url);
            const migrated = await migrateDatabase({
              engine: 'mysql',
              database: 'nilecare_auth',
              connection: { url },
              log: (line) => logger.debug(line),
            });
            if (migrated.applied.length > 0)
              logger.info({ applied: migrated.applied.length }, 'nilecare_auth migrated');
          });
          const db = openMysqlState(url);
          closers.push(() => db.close());
          components['smart-users'] = `external: ${redact(url)}`;
          return db;
        }
        const client = await embeddedClient();
        await migrateEmbedded(client, 'nilecare_auth');
        components['smart-users'] = `embedded: schema nilecare_auth in ${client.description}`;
        return postgresStateDb(client, 'nilecare_auth', `nilecare_auth in ${client.description}`);
      })()),
    kv: () =>
      (kv ??= (async () => {
        const url = config.auth.redisUrl;
        if (url) {
          const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
          redis.on('error', () => undefined);
          await reaching('shared state (SMART sessions, rate limits)', 'REDIS_URL', url, async () => {
            await redis.connect();
            await redis.ping();
          });
          closers.push(async () => {
            redis.disconnect();
          });
          components['shared-state'] = `external: ${redact(url)}`;
          return redis;
        }
        const client = await embeddedClient();
        await migrateEmbedded(client, 'nilecare_state');
        const store = sqlKv(postgresStateDb(client, 'nilecare_state', `nilecare_state in ${client.description}`));
        closers.push(async () => store.disconnect());
        components['shared-state'] = `embedded: schema nilecare_state in ${client.description}`;
        return asRedis(store);
      })()),
    async close() {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}
