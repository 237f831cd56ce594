/**
 * Where `npm run auth` finds what the server uses: the same environment variables read the same way
 * (server/config.ts: AUTH_MYSQL_URL, REDIS_URL, AUTH_KEYS_DIR, BASE_URL or HOST/PORT), so a command changes what
 * the running server reads. AUTH_REDIS_PREFIX only for tests. The nilecare_auth database is created and migrated
 * as the server does at start, so the commands also work before the first `npm start`.
 */
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { loadConfig, type Config } from '../../config.js';
import { createDatabaseIfMissing } from '../../migrate/create-database.js';
import { migrateDatabase } from '../../migrate/migrate.js';
import { resolve } from 'node:path';
import { isUnreachable, unreachable } from '../cli-kit.js';

export interface AuthEnv {
  config: Config;
  mysqlUrl: string;
  redisUrl: string;
  keysDir: string;
  fhirBaseUrl: string;
  issuer: string;
  redisPrefix: string;
  /** What the server keeps in its embedded PGlite/PostgreSQL because the variable is unset (auth/embedded-admin.ts). */
  embedded: { users: boolean; sessions: boolean; folder: string; consoleUrl: string };
}

export function authEnv(env: NodeJS.ProcessEnv = process.env): AuthEnv {
  const config = loadConfig(env);
  return {
    config,
    // Used only when both are set: a command whose data is embedded goes through auth/embedded-admin.ts.
    mysqlUrl: config.auth.mysqlUrl ?? 'mysql://root@127.0.0.1:3306/nilecare_auth',
    redisUrl: config.auth.redisUrl ?? 'redis://127.0.0.1:6379',
    keysDir: config.auth.keysDir,
    fhirBaseUrl: config.baseUrl,
    issuer: new URL(config.baseUrl).origin,
    redisPrefix: env.AUTH_REDIS_PREFIX ?? 'nilecare:auth:',
    embedded: {
      users: !config.auth.mysqlUrl,
      sessions: !config.auth.redisUrl,
      folder: config.store.kind === 'postgres' ? 'the PostgreSQL of DATABASE_URL' : resolve(config.embeddedDataDir),
      consoleUrl: `${new URL(config.baseUrl).origin}/console/`,
    },
  };
}

/** A pool on nilecare_auth, created and migrated if needed; unreachable MySQL is one clear line (exit 3). */
export async function openAuthDatabase(env: AuthEnv): Promise<mysql.Pool> {
  try {
    await createDatabaseIfMissing('mysql', env.mysqlUrl);
    await migrateDatabase({ engine: 'mysql', database: 'nilecare_auth', connection: { url: env.mysqlUrl } });
  } catch (e) {
    if (isUnreachable(e)) throw unreachable('the users database (MySQL)', env.mysqlUrl, 'AUTH_MYSQL_URL', e);
    throw e;
  }
  return mysql.createPool({ uri: env.mysqlUrl, connectionLimit: 2, timezone: 'Z' });
}

/** Fails fast (exit 3) when Redis does not answer, instead of ioredis retrying forever. */
export async function checkRedis(env: AuthEnv): Promise<void> {
  const redis = new Redis(env.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    throw unreachable('Redis (clients, sessions)', env.redisUrl, 'REDIS_URL', e);
  } finally {
    redis.disconnect();
  }
}

/** A Redis connection for a short command: no endless reconnects. */
export async function openRedis(env: AuthEnv): Promise<Redis> {
  await checkRedis(env);
  const redis = new Redis(env.redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  return redis;
}
