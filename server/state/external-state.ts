/**
 * The external side of the server's state: nilecare_auth on MySQL/MariaDB (AUTH_MYSQL_URL: created and migrated if
 * missing) and the shared key-value state on Redis (REDIS_URL); a start that cannot reach either is refused with the
 * variable to check.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { migrateDatabase } from '../migrate/migrate.js';
import { createDatabaseIfMissing } from '../migrate/create-database.js';
import { openMysqlState } from '../auth/smart-auth.js';
import { reaching } from '../component-error.js';
import type { StateDb } from './state-db.js';

export async function openMysqlAuthDb(url: string, logger: Logger): Promise<StateDb> {
  await reaching('SMART authorisation database (nilecare_auth)', 'AUTH_MYSQL_URL', url, async () => {
    await createDatabaseIfMissing('mysql', url);
    const migrated = await migrateDatabase({
      engine: 'mysql',
      database: 'nilecare_auth',
      connection: { url },
      log: (line) => logger.debug(line),
    });
    if (migrated.applied.length > 0) logger.info({ applied: migrated.applied.length }, 'nilecare_auth migrated');
  });
  return openMysqlState(url);
}

export async function openRedisState(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  await reaching('shared state (SMART sessions, rate limits)', 'REDIS_URL', url, async () => {
    await redis.connect();
    await redis.ping();
  });
  return redis;
}
