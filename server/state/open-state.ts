/**
 * The state the server owns beside FHIR, opened at start where the configuration says: SMART users, refresh tokens,
 * login attempts and audit rows (nilecare_auth) on MySQL/MariaDB when AUTH_MYSQL_URL is set, else embedded; sessions,
 * grants, launch contexts and rate-limit counters on Redis when REDIS_URL is set, else embedded. Embedded means in the
 * FHIR store's own PostgreSQL — the PGlite folder by default — in the schemas nilecare_auth and nilecare_state,
 * migrated by the same runner as the MySQL layout (migrations/embedded/postgres/…). With a MongoDB store the embedded state
 * gets a PGlite of its own in PGLITE_DATA_DIR. The HL7 v2 message log (nilecare_interop) is embedded the same way when
 * INTEROP_MYSQL_URL is not set (embeddedInteropDb, opened by server/hl7-wiring.ts).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { ResourceStore } from '../store/resource-store.js';
import { redact } from '../component-error.js';
import type { StateDb } from './state-db.js';
import { asRedis, sqlKv } from './sql-kv.js';
import { embeddedState } from './embedded-state.js';
import { openMysqlAuthDb, openRedisState } from './external-state.js';

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

/** Opens on first call, then answers the same promise. */
const once = <T>(open: () => Promise<T>): (() => Promise<T>) => {
  let opened: Promise<T> | undefined;
  return () => (opened ??= open());
};

export function openServerState(config: Config, store: ResourceStore, logger: Logger): ServerState {
  const components: Record<string, string> = {};
  const closers: Array<() => Promise<void>> = [];
  const embedded = embeddedState(config, store, logger, closers);
  return {
    components,
    embeddedInteropDb: once(async () => {
      const { db, where, isServer } = await embedded.schema('nilecare_interop');
      components['hl7-message-log'] = where;
      return { db, isServer };
    }),
    subscriptionsDb: once(async () => {
      const { db, where } = await embedded.schema('nilecare_subscriptions');
      components['subscriptions'] = where;
      return db;
    }),
    authDb: once(async () => {
      const url = config.auth.mysqlUrl;
      if (url) {
        const db = await openMysqlAuthDb(url, logger);
        closers.push(() => db.close());
        components['smart-users'] = `external: ${redact(url)}`;
        return db;
      }
      const { db, where } = await embedded.schema('nilecare_auth');
      components['smart-users'] = where;
      return db;
    }),
    kv: once(async () => {
      const url = config.auth.redisUrl;
      if (url) {
        const redis = await openRedisState(url);
        closers.push(async () => {
          redis.disconnect();
        });
        components['shared-state'] = `external: ${redact(url)}`;
        return redis;
      }
      const { db, where } = await embedded.schema('nilecare_state');
      const kvStore = sqlKv(db);
      closers.push(async () => kvStore.disconnect());
      components['shared-state'] = where;
      return asRedis(kvStore);
    }),
    async close() {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}
