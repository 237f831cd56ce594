/**
 * Brings up HL7 v2 for the app: the nilecare_interop database holds the message log, queue and site mappings — on
 * MySQL/MariaDB when INTEROP_MYSQL_URL is set, else embedded in the FHIR store's own database (hl7-log-wiring.ts).
 * Inbound: the MLLP listener; each message becomes a FHIR transaction through the in-process client, and is ACKed AA
 * only after it committed. Outbound: the OutboundWorker turns FHIR changes
 * (the store's change log) into ADT/ORU messages for the MLLP endpoints of interface_configs. It runs unless
 * HL7_OUTBOUND=off, on MySQL and on the embedded log alike (unset = on): with no endpoint it plans nothing (it
 * passes the store's changes over once per endpoint reload, 30 s, not after every write); an endpoint added later is picked up without a restart (at once from the console,
 * `reloadEndpoints`, else within 30 s).
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { App } from './app.js';
import { startHl7Listener } from '../adapters/hl7v2/hl7-listener.js';
import { summariseExchange } from '../adapters/hl7v2/exchange-summary.js';
import type { MessageLog } from '../adapters/hl7v2/log/message-log.js';
import type { Hl7Listener } from '../adapters/hl7v2/hl7-listener.js';
import type { OutboundStatus, OutboundWorker } from '../adapters/hl7v2/outbound/outbound-worker.js';
import type { Hl7EndpointStore, Hl7ReplayPort } from './console/admin/runtime-ports.js';
import { hl7ReplayPort } from './hl7-admin-wiring.js';
import { codeTableMaps } from './fhir/terminology/code-table-maps.js';
import { codeRowMover } from './fhir/terminology/code-row-maps.js';
import { openInteropLog } from './hl7-log-wiring.js';
import { currentResources, hl7Submit } from './hl7-submit.js';

/** Outbound delivery, when running: counts per endpoint, dead letters put back in line or given up. */
export type Hl7Outbound = {
  status(): Promise<OutboundStatus>;
  /** Sends a dead-lettered message again (attempts start over); false when it is not a dead letter. */
  retryDeadLetter(messageId: string): Promise<boolean>;
  /** Gives up on a dead letter: the later messages of its patient go on. */
  discardDeadLetter(messageId: string): Promise<boolean>;
  /** interface_configs changed: read the endpoints now (messages planned from here on go to the new set). */
  reloadEndpoints(): Promise<void>;
};

export type Hl7Runtime = {
  server: Hl7Listener;
  log: MessageLog;
  /** Where the log is: `mysql` (INTEROP_MYSQL_URL) or `embedded` (schema nilecare_interop of the store's database). */
  where: 'mysql' | 'embedded';
  /** Reads of the embedded nilecare_interop for the console (times in UTC); absent on MySQL. */
  interopQuery?: (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;
  outbound?: Hl7Outbound;
  /** The console's replay: the listener's inbound pipeline. */
  replay: Hl7ReplayPort;
  /** The outbound endpoints the console edits (MySQL, or the embedded nilecare_interop). */
  endpoints?: Hl7EndpointStore;
  close(): Promise<void>;
};

/** HL7_OUTBOUND: `on`, `off`, or unset = `auto`: runs as `on` does; the active endpoints are counted for the start log. */
function outboundMode(env: NodeJS.ProcessEnv): 'on' | 'off' | 'auto' {
  const v = env.HL7_OUTBOUND?.trim().toLowerCase();
  if (!v) return 'auto';
  if (v === 'on' || v === 'off') return v;
  throw new Error(`HL7_OUTBOUND: must be on or off (got ${env.HL7_OUTBOUND})`);
}

/**
 * HL7_PROCESSING_IDS: the MSH-11 processing ids this server takes (comma list of P, T, D; default P). A production
 * server takes P only: training (T) and debugging (D) messages are refused (AR 202) and never reach its store; a
 * test or training server is started with e.g. `HL7_PROCESSING_IDS=P,T,D`. An inbound interface whose
 * interface_configs.settings.processing_ids lists T (or D) gets those checked and answered but not stored on a server
 * that does not store them (adapters/hl7v2/inbound/check-message.ts, README "Processing id").
 */
export function processingIds(env: NodeJS.ProcessEnv): string[] {
  const raw = env.HL7_PROCESSING_IDS?.trim();
  if (!raw) return ['P'];
  const ids = raw.split(',').map((s) => s.trim().toUpperCase());
  const bad = ids.filter((id) => !['P', 'T', 'D'].includes(id));
  if (bad.length) throw new Error(`HL7_PROCESSING_IDS: ${bad.join(', ')} is not P, T or D`);
  return ids;
}

/** The MLLP listener: each message a FHIR transaction through the in-process client, ACKed AA once committed. */
function startListener(
  config: Config,
  port: number,
  app: App,
  logger: Logger,
  log: MessageLog,
  env: NodeJS.ProcessEnv,
) {
  const tls =
    config.hl7.tlsCertFile && config.hl7.tlsKeyFile
      ? { cert: readFileSync(config.hl7.tlsCertFile), key: readFileSync(config.hl7.tlsKeyFile) }
      : undefined;
  return startHl7Listener({
    processingIds: processingIds(env),
    onMappingProblem: (row, reason) =>
      logger.warn({ mapping: row.id, name: row.name, reason }, 'fhir_mappings row skipped'),
    codeMaps: codeTableMaps(app.store, config.baseUrl),
    // fhir_mappings code rows become ConceptMaps (then deactivated): the codes live in one place
    moveCodeRow: codeRowMover(app.systemClient),
    submit: hl7Submit(app.systemClient),
    // what a message depends on is read by the store-level search, not a Bundle of GETs through the router; its
    // reads by id as one store read of the current versions (inbound acts with the system client's full access)
    search: Object.assign(
      async (type: string, params: Array<[string, string]>, count?: number) =>
        (await app.systemClient.search(type, params, count ? { count } : {})).matches.flatMap((m) =>
          m.resource ? [m.resource] : [],
        ),
      { readMany: currentResources(app.store) },
    ),
    log,
    port,
    host: config.host,
    ...(tls ? { tls } : {}),
    onError: (error) => logger.error({ err: error }, 'HL7 listener error'),
    onExchange: (request, reply, seconds) => {
      const { messageType, ackCodes } = summariseExchange(request, reply);
      for (const ack of ackCodes.length > 0 ? ackCodes : ['none'])
        app.runtimeMetrics.observeHl7Inbound(messageType, ack, seconds);
    },
  }).then((server) => {
    logger.info({ port: server.port, tls: !!tls }, `HL7 v2 MLLP listener on ${config.host}:${server.port}`);
    return server;
  });
}

const outboundPort = (worker: OutboundWorker): Hl7Outbound => ({
  status: () => worker.status(),
  retryDeadLetter: (id: string) => worker.retryDeadLetter(id),
  discardDeadLetter: (id: string) => worker.discardDeadLetter(id),
  reloadEndpoints: () => worker.reloadEndpoints(),
});

export async function startHl7(
  config: Config,
  app: App,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Hl7Runtime | undefined> {
  if (config.hl7.port === undefined) return undefined;
  const outboundSetting = outboundMode(env);
  const interop = await openInteropLog(config, app, logger, outboundSetting === 'auto');
  const { log } = interop;
  const server = await startListener(config, config.hl7.port, app, logger, log, env);
  // Running with no endpoint costs one pass over the changes per 30 s; it is what lets an endpoint added later work.
  const worker = outboundSetting !== 'off' ? interop.newWorker() : undefined;
  // the cursor of a first run exists before the server reports ready: nothing written from then on goes unsent
  await worker?.ready().catch((error: unknown) => {
    logger.warn(
      { err: (error as Error).message },
      'HL7 outbound cursor not created at start; the first run creates it',
    );
  });
  worker?.start();
  const endpoints = interop.openEndpoints();
  if (worker)
    logger.info(
      { endpoints: interop.activeEndpoints },
      'HL7 v2 outbound delivery running (endpoints from interface_configs; added ones are picked up without a restart)',
    );
  return {
    server,
    log,
    where: interop.where,
    ...(interop.interopQuery ? { interopQuery: interop.interopQuery } : {}),
    replay: hl7ReplayPort(server.deps, hl7Submit(app.systemClient)),
    endpoints,
    ...(worker ? { outbound: outboundPort(worker) } : {}),
    async close() {
      await worker?.stop();
      await server.close();
      await endpoints.close();
      await log.close();
    },
  };
}
