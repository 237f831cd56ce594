/**
 * Creates (if missing) and migrates the projections' target databases: the server does it before starting the
 * dispatchers, `projections:rebuild` before rebuilding (a rebuild writes the columns of the latest migrations).
 */
import { createDatabaseIfMissing } from '../../server/migrate/create-database.js';
import { migrateDatabase } from '../../server/migrate/migrate.js';
import type { ProjectionTargets } from './start-projections.js';

const DATABASES = [
  { engine: 'mysql', database: 'nilecare_billing', target: 'billingMysqlUrl' },
  { engine: 'mysql', database: 'nilecare_lab', target: 'labMysqlUrl' },
  { engine: 'mysql', database: 'nilecare_medication', target: 'medicationMysqlUrl' },
  { engine: 'postgres', database: 'nilecare_devices', target: 'devicesPostgresUrl' },
] as const;

/** Returns the migrations applied per database (empty when all were up to date). */
export async function migrateProjectionTargets(
  targets: ProjectionTargets,
  log: (line: string) => void = () => undefined,
): Promise<Array<{ database: string; applied: number }>> {
  const out: Array<{ database: string; applied: number }> = [];
  for (const db of DATABASES) {
    const url = targets[db.target];
    if (!url) continue;
    await createDatabaseIfMissing(db.engine, url);
    const result = await migrateDatabase({ engine: db.engine, database: db.database, connection: { url }, log });
    out.push({ database: db.database, applied: result.applied.length });
  }
  return out;
}
