/**
 * Test targets: fresh, migrated nilecare_billing / nilecare_lab / nilecare_medication (MariaDB) and
 * nilecare_devices (PostgreSQL) databases, and a snapshot of the projected rows for comparisons.
 */
import { migrateDatabase } from '../../../server/migrate/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../server/migrate/testing/test-databases.js';
import type { ProjectionTargets } from '../start-projections.js';
import { openSqlClient } from '../sql-client.js';

export type TestTargets = { targets: Required<ProjectionTargets>; drop(): Promise<void> };

export async function createTestTargets(): Promise<TestTargets> {
  const specs = [
    ['mysql', 'nilecare_billing', 'billingMysqlUrl'],
    ['mysql', 'nilecare_lab', 'labMysqlUrl'],
    ['mysql', 'nilecare_medication', 'medicationMysqlUrl'],
    ['postgres', 'nilecare_devices', 'devicesPostgresUrl'],
  ] as const;
  const created: TestDatabase[] = [];
  const targets = {} as Required<ProjectionTargets>;
  try {
    await Promise.all(
      specs.map(async ([engine, name, key]) => {
        const db = await createTestDatabase(engine, name);
        created.push(db);
        await migrateDatabase({ engine, database: name, connection: { url: db.url }, log: () => undefined });
        targets[key] = db.url;
      }),
    );
  } catch (e) {
    await Promise.all(created.map((d) => d.drop()));
    throw e;
  }
  return { targets, drop: async () => void (await Promise.all(created.map((d) => d.drop()))) };
}

export const PROJECTED_TABLES = {
  billingMysqlUrl: [
    'billing_accounts',
    'invoices',
    'invoice_line_items',
    'insurance_claims',
    'claim_line_items',
    'claim_adjudications',
    'charge_master',
    'invoice_payment_allocations',
    'billing_adjustments',
    'fhir_reference_ids',
  ],
  labMysqlUrl: ['lab_tests_catalog', 'lab_orders', 'lab_specimens', 'lab_results', 'fhir_reference_ids'],
  medicationMysqlUrl: [
    'medications',
    'prescriptions',
    'mar_entries',
    'high_alert_medications',
    'medication_audit_log',
    'fhir_reference_ids',
  ],
  devicesPostgresUrl: ['devices', 'device_readings', 'device_alerts', 'fhir_reference_ids'],
} as const;

/** Tables only the services write (no projection touches them). */
export const SERVICE_TABLES = {
  billingMysqlUrl: ['payment_reminders', 'billing_statements', 'billing_audit_log'],
  labMysqlUrl: [],
  medicationMysqlUrl: [],
  devicesPostgresUrl: ['device_calibration_logs'],
} as const;

/**
 * Every row of the projected tables (timestamps of bookkeeping left out: created_at, updated_at, the medication
 * audit log's timestamp; deleted_at as a flag), sorted. `only`: 'service' = the services' own rows (source NULL) and
 * the
 * tables only they write, compared with every column.
 */
export async function snapshotRows(
  targets: ProjectionTargets,
  only: 'all' | 'service' = 'all',
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [key, projected] of Object.entries(PROJECTED_TABLES)) {
    const url = targets[key as keyof ProjectionTargets];
    if (!url) continue;
    const tables =
      only === 'service'
        ? [
            ...projected.filter((t) => t !== 'fhir_reference_ids'),
            ...SERVICE_TABLES[key as keyof typeof SERVICE_TABLES],
          ]
        : projected;
    const db = await openSqlClient(url, 1);
    try {
      for (const table of tables) {
        const serviceOnly = (SERVICE_TABLES[key as keyof typeof SERVICE_TABLES] as readonly string[]).includes(table);
        const rows = await db.query(
          `SELECT * FROM ${table}${only === 'service' && !serviceOnly ? ' WHERE source IS NULL' : ''}`,
        );
        if (only === 'service') {
          out[`${key}.${table}`] = rows.map((r) => JSON.stringify(r)).sort();
          continue;
        }
        out[table] = rows
          .map((r) => {
            const copy: Record<string, unknown> = { ...r };
            for (const c of ['created_at', 'updated_at']) delete copy[c];
            if (table === 'medication_audit_log') delete copy.timestamp;
            if ('deleted_at' in copy) copy.deleted_at = copy.deleted_at !== null;
            return JSON.stringify(
              Object.fromEntries(
                Object.keys(copy)
                  .sort()
                  .map((k) => [k, copy[k]]),
              ),
            );
          })
          .sort();
      }
    } finally {
      await db.close();
    }
  }
  return out;
}

/** Projection-owned rows per table (source = 'fhir'; every row of fhir_reference_ids). */
export async function countRows(targets: ProjectionTargets): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [key, tables] of Object.entries(PROJECTED_TABLES)) {
    const url = targets[key as keyof ProjectionTargets];
    if (!url) continue;
    const db = await openSqlClient(url, 1);
    try {
      for (const table of tables) {
        const where = table === 'fhir_reference_ids' ? '' : " WHERE source = 'fhir'";
        out[table] = Number((await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}${where}`))[0]!.n);
      }
    } finally {
      await db.close();
    }
  }
  return out;
}
