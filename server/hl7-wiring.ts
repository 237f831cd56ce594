/**
 * Brings up the HL7 v2 MLLP listener for the app: the nilecare_interop database (created and migrated if
 * missing) holds the message log, queue and site mappings; each message becomes a FHIR transaction through
 * the in-process client, and is ACKed AA only after it committed.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { App } from './app.js';
import { migrateDatabase } from './migrate/migrate.js';
import { createDatabaseIfMissing } from './migrate/create-database.js';
import { startHl7Listener } from '../adapters/hl7v2/hl7-listener.js';
import { MysqlMessageLog } from '../adapters/hl7v2/log/mysql-message-log.js';
import type { MllpServer } from '../adapters/hl7v2/mllp/mllp-server.js';

export type Hl7Runtime = { server: MllpServer; log: MysqlMessageLog; close(): Promise<void> };

export async function startHl7(config: Config, app: App, logger: Logger): Promise<Hl7Runtime | undefined> {
  if (config.hl7.port === undefined) return undefined;
  await createDatabaseIfMissing('mysql', config.hl7.mysqlUrl);
  const migrated = await migrateDatabase({ engine: 'mysql', database: 'nilecare_interop', connection: { url: config.hl7.mysqlUrl }, log: (line) => logger.debug(line) });
  if (migrated.applied.length > 0) logger.info({ applied: migrated.applied.length }, 'nilecare_interop migrated');
  const log = MysqlMessageLog.open(config.hl7.mysqlUrl);
  const tls = config.hl7.tlsCertFile && config.hl7.tlsKeyFile ? { cert: readFileSync(config.hl7.tlsCertFile), key: readFileSync(config.hl7.tlsKeyFile) } : undefined;
  const server = await startHl7Listener({
    submit: (bundle) => app.systemClient.transaction(bundle),
    log,
    port: config.hl7.port,
    host: config.host,
    ...(tls ? { tls } : {}),
    onError: (error) => logger.error({ err: error }, 'HL7 listener error'),
  });
  logger.info({ port: server.port, tls: !!tls }, `HL7 v2 MLLP listener on ${config.host}:${server.port}`);
  return {
    server,
    log,
    async close() {
      await server.close();
      await (log as unknown as { close?: () => Promise<void> }).close?.();
    },
  };
}
