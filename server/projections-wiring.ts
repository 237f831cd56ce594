/**
 * Starts the relational projections (billing, lab, medication, devices) with the server when
 * NILECARE_PROJECTIONS=on: each target database is created and migrated if missing, then the outbox
 * dispatchers run in this process (one node delivers a projection at a time; the cursor row is locked).
 * Targets come from PROJECTION_*_URL, else nilecare_* on MYSQL_URL / POSTGRES_URL (local servers by default).
 */
import type { Logger } from 'pino';
import type { ResourceStore } from './store/resource-store.js';
import { projectionTargetsFromEnv } from '../adapters/cli/projection-targets.js';
import { migrateProjectionTargets } from '../adapters/outbox/migrate-targets.js';
import { startProjections, type RunningProjections } from '../adapters/outbox/start-projections.js';

export async function startConfiguredProjections(
  store: ResourceStore,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningProjections | undefined> {
  if (env.NILECARE_PROJECTIONS !== 'on') return undefined;
  const targets = projectionTargetsFromEnv(env);
  for (const m of await migrateProjectionTargets(targets, (line) => logger.debug(line)))
    if (m.applied > 0) logger.info({ database: m.database, applied: m.applied }, 'projection target migrated');
  const running = await startProjections({ store, targets, logger });
  logger.info('relational projections running (billing, lab, medication, devices)');
  return running;
}
