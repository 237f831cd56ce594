/**
 * Starts the relational projections (billing, lab, medication, devices) with the server when
 * NILECARE_PROJECTIONS=on: each target database is created and migrated if missing, then the outbox
 * dispatchers run in this process (one node delivers a projection at a time; the cursor row is locked).
 * Targets come from PROJECTION_*_URL, else nilecare_* on MYSQL_URL / POSTGRES_URL (local servers by default).
 */
import type { Logger } from 'pino';
import type { ResourceStore } from './store/resource-store.js';
import { migrateDatabase } from './migrate/migrate.js';
import { createDatabaseIfMissing } from './migrate/create-database.js';
import { projectionTargetsFromEnv } from '../adapters/cli/projection-targets.js';
import { startProjections, type RunningProjections } from '../adapters/outbox/start-projections.js';

export async function startConfiguredProjections(
  store: ResourceStore,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningProjections | undefined> {
  if (env.NILECARE_PROJECTIONS !== 'on') return undefined;
  const targets = projectionTargetsFromEnv(env);
  const databases = [
    { engine: 'mysql', database: 'nilecare_billing', url: targets.billingMysqlUrl },
    { engine: 'mysql', database: 'nilecare_lab', url: targets.labMysqlUrl },
    { engine: 'mysql', database: 'nilecare_medication', url: targets.medicationMysqlUrl },
    { engine: 'postgres', database: 'nilecare_devices', url: targets.devicesPostgresUrl },
  ] as const;
  for (const db of databases) {
    await createDatabaseIfMissing(db.engine, db.url);
    const result = await migrateDatabase({
      engine: db.engine,
      database: db.database,
      connection: { url: db.url },
      log: (line) => logger.debug(line),
    });
    if (result.applied.length > 0)
      logger.info({ database: db.database, applied: result.applied.length }, 'projection target migrated');
  }
  const running = await startProjections({ store, targets, logger });
  logger.info('relational projections running (billing, lab, medication, devices)');
  return running;
}
