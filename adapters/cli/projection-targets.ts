/**
 * Where the projections write, from the environment: PROJECTION_BILLING_URL, PROJECTION_LAB_URL,
 * PROJECTION_MEDICATION_URL, PROJECTION_DEVICES_URL; by default nilecare_billing / nilecare_lab /
 * nilecare_medication on MYSQL_URL and nilecare_devices on POSTGRES_URL (see server/migrate/server-urls.ts).
 */
import { databaseUrl } from '../../server/migrate/server-urls.js';
import type { ProjectionTargets } from '../outbox/start-projections.js';

export function projectionTargetsFromEnv(env: NodeJS.ProcessEnv = process.env): Required<ProjectionTargets> {
  return {
    billingMysqlUrl: env.PROJECTION_BILLING_URL || databaseUrl('mysql', 'nilecare_billing', env.MYSQL_URL || undefined),
    labMysqlUrl: env.PROJECTION_LAB_URL || databaseUrl('mysql', 'nilecare_lab', env.MYSQL_URL || undefined),
    medicationMysqlUrl:
      env.PROJECTION_MEDICATION_URL || databaseUrl('mysql', 'nilecare_medication', env.MYSQL_URL || undefined),
    devicesPostgresUrl:
      env.PROJECTION_DEVICES_URL || databaseUrl('postgres', 'nilecare_devices', env.POSTGRES_URL || undefined),
  };
}

const VARIABLES: Record<keyof ProjectionTargets, readonly [own: string, shared: string]> = {
  billingMysqlUrl: ['PROJECTION_BILLING_URL', 'MYSQL_URL'],
  labMysqlUrl: ['PROJECTION_LAB_URL', 'MYSQL_URL'],
  medicationMysqlUrl: ['PROJECTION_MEDICATION_URL', 'MYSQL_URL'],
  devicesPostgresUrl: ['PROJECTION_DEVICES_URL', 'POSTGRES_URL'],
};

/** The variable that set a target's address (for messages): its own, else "its own or the shared one". */
export function targetVariable(target: keyof ProjectionTargets, env: NodeJS.ProcessEnv = process.env): string {
  const [own, shared] = VARIABLES[target];
  return env[own] ? own : `${own} or ${shared}`;
}
