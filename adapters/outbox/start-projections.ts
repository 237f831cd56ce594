/**
 * Composition-root entry: one dispatcher per configured target (billing, lab, medication → MySQL/MariaDB;
 * devices → PostgreSQL), each polling the FHIR store's change log with its own durable cursor, on the node that
 * holds the projection's lease (projection-lease.ts).
 */
import type { Logger } from 'pino';
import type { ResourceStore } from '../../server/store/resource-store.js';
import { billingProjection } from '../billing/billing-projection.js';
import { deviceProjection } from '../device/device-projection.js';
import { labProjection } from '../lab/lab-projection.js';
import { medicationProjection } from '../medication/medication-projection.js';
import { Dispatcher, type ProjectionStatus } from './dispatcher.js';
import type { Projection, ProjectionName } from './projection.js';
import { ensureStateTables } from './projection-state.js';
import { openSqlClient, type SqlClient } from './sql-client.js';
import { projectionLease } from './projection-lease.js';

export type ProjectionTargets = {
  billingMysqlUrl?: string;
  labMysqlUrl?: string;
  medicationMysqlUrl?: string;
  devicesPostgresUrl?: string;
};

export type StartProjectionsOptions = {
  store: ResourceStore;
  targets: ProjectionTargets;
  logger?: Logger;
  pollIntervalMs?: number;
  batchSize?: number;
  maxAttempts?: number;
  retryBaseMs?: number;
  /** Device readings older than this are not written (default one year: nilecare_maintain's retention). */
  readingsRetentionMs?: number;
  onBatch?: (projection: ProjectionName, delivered: number, cursor: number) => void;
  /**
   * One node delivers each projection at a time, holding a lease in the target database (default true). false:
   * every node runs batches, kept apart by the cursor row lock alone (tests of that lock).
   */
  exclusive?: boolean;
};

export type RunningProjections = {
  dispatchers: Dispatcher[];
  stop(): Promise<void>;
  status(): Promise<ProjectionStatus[]>;
  /** Retries one failed dead letter now; true when it was delivered (the letter is gone). */
  retryDeadLetter(projection: ProjectionName, resourceType: string, resourceId: string): Promise<boolean>;
  /** Resolves when every projection has delivered everything committed so far (tests, benchmarks). */
  caughtUp(timeoutMs?: number): Promise<void>;
};

export const PROJECTIONS: Record<ProjectionName, { projection: Projection; target: keyof ProjectionTargets }> = {
  billing: { projection: billingProjection, target: 'billingMysqlUrl' },
  lab: { projection: labProjection, target: 'labMysqlUrl' },
  medication: { projection: medicationProjection, target: 'medicationMysqlUrl' },
  device: { projection: deviceProjection, target: 'devicesPostgresUrl' },
};

export async function openDispatchers(
  o: StartProjectionsOptions,
): Promise<{ dispatchers: Dispatcher[]; clients: SqlClient[] }> {
  const dispatchers: Dispatcher[] = [];
  const clients: SqlClient[] = [];
  for (const { projection, target } of Object.values(PROJECTIONS)) {
    const url = o.targets[target];
    if (!url) continue;
    const db = await openSqlClient(url);
    clients.push(db);
    await ensureStateTables(db);
    dispatchers.push(
      new Dispatcher({
        store: o.store,
        projection,
        db,
        logger: o.logger,
        batchSize: o.batchSize,
        maxAttempts: o.maxAttempts,
        retryBaseMs: o.retryBaseMs,
        readingsRetentionMs: o.readingsRetentionMs,
        pollIntervalMs: o.pollIntervalMs,
        onBatch: o.onBatch ? (n, c) => o.onBatch!(projection.name, n, c) : undefined,
        ...(o.exclusive === false ? {} : { lease: projectionLease(url, projection.name) }),
      }),
    );
  }
  return { dispatchers, clients };
}

export async function startProjections(o: StartProjectionsOptions): Promise<RunningProjections> {
  const { dispatchers, clients } = await openDispatchers(o);
  for (const d of dispatchers) d.start();
  const byName = new Map(dispatchers.map((d) => [d.name, d]));
  const status = () => Promise.all(dispatchers.map((d) => d.status()));
  let stopped: Promise<void> | undefined;
  return {
    dispatchers,
    status,
    stop() {
      stopped ??= (async () => {
        await Promise.all(dispatchers.map((d) => d.stop()));
        await Promise.all(clients.map((c) => c.close()));
      })();
      return stopped;
    },
    async retryDeadLetter(projection, resourceType, resourceId) {
      const d = byName.get(projection);
      if (!d) throw new Error(`projection ${projection} is not running`);
      return d.retry(resourceType, resourceId);
    },
    async caughtUp(timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        if ((await Promise.all(dispatchers.map((d) => d.caughtUp()))).every(Boolean)) return;
        const all = await status();
        if (Date.now() > until)
          throw new Error(
            `projections not caught up after ${timeoutMs} ms: ${all.map((s) => `${s.projection} ${s.lagChanges} behind`).join(', ')}`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}
