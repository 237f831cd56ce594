/**
 * Where `npm run auth` finds what the server uses: the same environment variables read the same way
 * (server/config.ts: AUTH_MYSQL_URL, REDIS_URL, AUTH_KEYS_DIR, BASE_URL or HOST/PORT), so a command changes what
 * the running server reads. AUTH_REDIS_PREFIX only for tests. The nilecare_auth database is created and migrated
 * as the server does at start, so the commands also work before the first `npm start`.
 */
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { loadConfig } from '../../config.js';
import { createDatabaseIfMissing } from '../../migrate/create-database.js';
import { migrateDatabase } from '../../migrate/migrate.js';
import { resolve } from 'node:path';
import { isUnreachable, unreachable, UnreachableError } from '../cli-kit.js';

export interface AuthEnv {
  mysqlUrl: string;
  redisUrl: string;
  keysDir: string;
  fhirBaseUrl: string;
  issuer: string;
  redisPrefix: string;
  /** What the server keeps in its embedded PGlite/PostgreSQL because the variable is unset (this CLI cannot reach it). */
  embedded: { users: boolean; sessions: boolean; folder: string; consoleUrl: string };
}

export function authEnv(env: NodeJS.ProcessEnv = process.env): AuthEnv {
  const config = loadConfig(env);
  return {
    // The CLI works on MySQL/Redis only: a command whose data the server keeps embedded is refused
    // (requireSharedDatabase); the local defaults remain only for what registration opens beside Redis.
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

/**
 * Refuses (exit 3) a command whose data the server keeps embedded (AUTH_MYSQL_URL / REDIS_URL unset): the CLI used
 * to fall back to the local MySQL/Redis then and silently changed a database the server never reads. The embedded
 * PGlite folder is held by the running server (one process), so the change goes through the console Admin page.
 */
export function requireSharedDatabase(env: AuthEnv, needs: { users?: boolean; sessions?: boolean }): void {
  const missing = [
    ...(needs.users && env.embedded.users ? ['AUTH_MYSQL_URL'] : []),
    ...(needs.sessions && env.embedded.sessions ? ['REDIS_URL'] : []),
  ];
  if (missing.length === 0) return;
  throw new UnreachableError(
    `${missing.join(' and ')} not set: the server keeps users and clients embedded in ${env.embedded.folder}, ` +
      `which this command cannot change; use the console Admin page (${env.embedded.consoleUrl}) ` +
      `or set ${missing.join(' and ')} for both the server and this command`,
  );
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
