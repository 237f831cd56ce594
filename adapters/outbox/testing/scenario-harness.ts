/**
 * A scenario: a fresh PGlite FHIR store, fresh migrated targets on the local MariaDB / PostgreSQL, the projections
 * running against them, a writer of FHIR versions and one client per target database.
 */
import { openPgliteTestStore } from '../../../server/store/postgres/testing/pglite-template.js';
import type { ResourceStore } from '../../../server/store/resource-store.js';
import type { ProjectionName } from '../projection.js';
import { openSqlClient, type SqlClient } from '../sql-client.js';
import { startProjections, type RunningProjections, type StartProjectionsOptions } from '../start-projections.js';
import { fhirWriter } from './fhir-writer.js';
import { createTestTargets, type TestTargets } from './target-databases.js';

export type Scenario = {
  store: ResourceStore;
  targets: TestTargets;
  running: RunningProjections;
  db: Record<ProjectionName, SqlClient>;
  fhir: ReturnType<typeof fhirWriter>;
  /** One row (or undefined). */
  one(client: SqlClient, sql: string, params?: unknown[]): Promise<Record<string, any> | undefined>;
  /** Stops the running projections, runs `whileStopped` (e.g. rewinding a cursor) and starts them again. */
  restart(options?: Partial<StartProjectionsOptions>, whileStopped?: () => Promise<unknown>): Promise<void>;
  close(): Promise<void>;
};

export async function openScenario(
  options: Partial<StartProjectionsOptions> = {},
  /** Runs on the migrated targets before the projections connect (e.g. a database's default time zone). */
  beforeStart?: (targets: TestTargets) => Promise<void>,
): Promise<Scenario> {
  const store = await openPgliteTestStore();
  const targets = await createTestTargets();
  await beforeStart?.(targets);
  const start = (o: Partial<StartProjectionsOptions>) =>
    startProjections({ store, targets: targets.targets, pollIntervalMs: 20, retryBaseMs: 200, maxAttempts: 3, ...o });
  const scenario: Scenario = {
    store,
    targets,
    running: await start(options),
    db: {
      billing: await openSqlClient(targets.targets.billingMysqlUrl, 1),
      lab: await openSqlClient(targets.targets.labMysqlUrl, 1),
      medication: await openSqlClient(targets.targets.medicationMysqlUrl, 1),
      device: await openSqlClient(targets.targets.devicesPostgresUrl, 1),
    },
    fhir: fhirWriter(store),
    one: async (client, sql, params = []) => (await client.query<Record<string, any>>(sql, params))[0],
    async restart(o = {}, whileStopped) {
      await scenario.running.stop();
      await whileStopped?.();
      scenario.running = await start({ ...options, ...o });
    },
    async close() {
      await scenario.running?.stop();
      for (const c of Object.values(scenario.db)) await c.close();
      await targets.drop();
      await store.close();
    },
  };
  return scenario;
}

export const P = '9b3c2a4e-1111-4a4a-8a8a-000000000001';
export const DR = '9b3c2a4e-2222-4a4a-8a8a-000000000002';
export const ORG = '9b3c2a4e-3333-4a4a-8a8a-000000000003';
export const patient = { reference: `Patient/${P}` };
export const loinc = (code: string, display: string) => ({
  coding: [{ system: 'http://loinc.org', code, display }],
  text: display,
});
export const labCategory = [
  { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] },
];
/** MariaDB JSON columns come back parsed (mysql2) or as text. */
export const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
/** An ISO instant `days` before now (device readings must be inside the retention window). */
export const daysAgo = (days: number, hour = 12) => {
  const d = new Date(Date.now() - days * 86_400_000);
  d.setUTCHours(hour, 0, 0, 0);
  return d.toISOString();
};
