/**
 * Where HL7 v2 keeps its message log, queue, site mappings and outbound endpoints (nilecare_interop), and the
 * outbound worker that goes with it: on MySQL/MariaDB when INTEROP_MYSQL_URL is set (created and migrated if missing;
 * a start that cannot reach it is refused), else embedded in the FHIR store's own database (schema nilecare_interop,
 * server/state), delivered by one node at a time.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { reaching } from './component-error.js';
import type { App } from './app.js';
import { migrateDatabase } from './migrate/migrate.js';
import { createDatabaseIfMissing } from './migrate/create-database.js';
import { MysqlMessageLog } from '../adapters/hl7v2/log/mysql-message-log.js';
import { PgMessageLog } from '../adapters/hl7v2/log/pg-message-log.js';
import { PgOutboundLog } from '../adapters/hl7v2/log/pg-outbound-log.js';
import { PgAdvisoryLease } from './change-feed/pg-advisory-lease.js';
import { everyNode } from './change-feed/lease.js';
import type { MessageLog } from '../adapters/hl7v2/log/message-log.js';
import {
  endpointFromRow,
  loadOutboundEndpoints,
  OUTBOUND_ENDPOINTS_SQL,
} from '../adapters/hl7v2/log/mysql-interface-configs.js';
import { OutboundWorker } from '../adapters/hl7v2/outbound/outbound-worker.js';
import type { Hl7EndpointStore } from './console/admin/runtime-ports.js';
import { embeddedHl7EndpointStore, mysqlHl7EndpointStore } from './hl7-admin-wiring.js';

export interface InteropLog {
  where: 'mysql' | 'embedded';
  log: MessageLog & { close(): Promise<void> };
  /** Active outbound endpoints at start (counted only when HL7_OUTBOUND is unset). */
  activeEndpoints: number;
  /** Reads of the embedded nilecare_interop for the console (times in UTC); absent on MySQL. */
  interopQuery?: (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;
  /** The outbound endpoints the console edits (opened once the listener runs). */
  openEndpoints(): Hl7EndpointStore;
  newWorker(): OutboundWorker;
}

async function mysqlInterop(mysqlUrl: string, app: App, logger: Logger, countEndpoints: boolean) {
  const migrated = await reaching('HL7 v2 message log (nilecare_interop)', 'INTEROP_MYSQL_URL', mysqlUrl, async () => {
    await createDatabaseIfMissing('mysql', mysqlUrl);
    return migrateDatabase({
      engine: 'mysql',
      database: 'nilecare_interop',
      connection: { url: mysqlUrl },
      log: (line) => logger.debug(line),
    });
  });
  if (migrated.applied.length > 0) logger.info({ applied: migrated.applied.length }, 'nilecare_interop migrated');
  return {
    where: 'mysql',
    activeEndpoints: countEndpoints ? (await loadOutboundEndpoints(mysqlUrl)).length : 0,
    log: MysqlMessageLog.open(mysqlUrl),
    openEndpoints: () => mysqlHl7EndpointStore(mysqlUrl),
    newWorker: () => new OutboundWorker({ store: app.store, mysqlUrl, logger }),
  } satisfies InteropLog;
}

async function embeddedInterop(config: Config, app: App, logger: Logger, countEndpoints: boolean) {
  const { db, isServer } = await app.state.embeddedInteropDb();
  // One node at a time delivers: on a PostgreSQL server an advisory lock; the PGlite folder admits one process.
  const lease =
    isServer && config.store.kind === 'postgres' ? new PgAdvisoryLease(config.store.url, 'hl7-outbound') : everyNode;
  return {
    where: 'embedded',
    activeEndpoints: countEndpoints ? (await db.query(OUTBOUND_ENDPOINTS_SQL)).rows.length : 0,
    log: new PgMessageLog(db),
    interopQuery: (sql, params = []) =>
      db.transaction(async (tx) => {
        await tx.query("SET LOCAL TIME ZONE 'UTC'"); // DATETIME texts of the console's filters are UTC
        return (await tx.query(sql, params)).rows;
      }),
    openEndpoints: () => embeddedHl7EndpointStore(db),
    newWorker: () =>
      new OutboundWorker({
        store: app.store,
        logger,
        embedded: {
          log: new PgOutboundLog(db, isServer),
          lease,
          endpoints: async () => (await db.query(OUTBOUND_ENDPOINTS_SQL)).rows.map(endpointFromRow),
        },
      }),
  } satisfies InteropLog;
}

/** Opens the log where the configuration says; `countEndpoints`: count the active endpoints (HL7_OUTBOUND unset). */
export function openInteropLog(config: Config, app: App, logger: Logger, countEndpoints: boolean): Promise<InteropLog> {
  const mysqlUrl = config.hl7.mysqlUrl;
  return mysqlUrl
    ? mysqlInterop(mysqlUrl, app, logger, countEndpoints)
    : embeddedInterop(config, app, logger, countEndpoints);
}
