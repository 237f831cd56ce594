/**
 * The real AdminApi of the server. The HTTP app is created before the HL7 listener and the projections start
 * (server/main.ts), so those parts are attached later with `attach()`; until then (or when they are off) the
 * HL7 endpoints answer 503 with the reason, and the projections list is empty.
 */
import type { Logger } from 'pino';
import { fhirError } from '../../fhir/errors.js';
import { interopMysqlUrl, type Config } from '../../config.js';
import type { ResourceStore } from '../../store/resource-store.js';
import type { AdminApi, SubscriptionStatus } from '../admin-api.js';
import { hl7EndpointAdmin, type Hl7EndpointAdmin } from './hl7-endpoint-admin.js';
import { hl7MessageRows, type Hl7MessageRows } from './hl7-message-rows.js';
import { hl7Replayer, type Hl7Replayer } from './hl7-replay.js';
import { projectionAdmin } from './projection-admin.js';
import { HL7_OUTBOUND, hl7OutboundAdmin } from './hl7-outbound-admin.js';
import type { Hl7AdminRuntime, ProjectionsPort, ProjectionTargetUrls } from './runtime-ports.js';
import { runHealthChecks } from './health-checks.js';
import { configuredProbes } from './configured-probes.js';
import { accessTasks, type AuthPorts } from './access-tasks.js';
import { hl7EndpointTasks } from './hl7-endpoint-tasks.js';
import type { SubscriptionRow } from '../../fhir/subscriptions/notification-tables.js';

/**
 * What starts after the HTTP app, as the ports of runtime-ports.ts: the HL7 listener (server/hl7-wiring.ts
 * Hl7Runtime) and the projections (adapters/outbox RunningProjections).
 */
export interface AdminRuntime {
  hl7?: Hl7AdminRuntime;
  projections?: ProjectionsPort;
  /** Where the running projections write (for the health checks). */
  projectionTargets?: ProjectionTargetUrls;
}

export interface ServerAdminApi extends AdminApi {
  attach(runtime: AdminRuntime): void;
  close(): Promise<void>;
}

export function serverAdminApi(o: {
  config: Config;
  store: ResourceStore;
  logger?: Logger;
  /** The subscription engine's list (absent when subscriptions are off). */
  subscriptions?: () => Promise<SubscriptionRow[]>;
  /** Users and client applications: the server's state and its SMART authorisation server (absent: 503). */
  auth?: AuthPorts;
}): ServerAdminApi {
  const { config, store } = o;
  let runtime: AdminRuntime = {};
  let hl7: { rows: Hl7MessageRows; replayer: Hl7Replayer } | undefined;
  let outbound: ReturnType<typeof hl7OutboundAdmin> | undefined;
  const projections = projectionAdmin(() => runtime.projections);
  let endpoints: Hl7EndpointAdmin | undefined;
  const audit = (what: string, detail: Record<string, unknown>) => o.logger?.info(detail, `console admin: ${what}`);
  const tasks = {
    ...accessTasks(config, o.auth, audit),
    ...hl7EndpointTasks(
      config,
      () => endpoints,
      () => runtime.hl7?.outbound?.reloadEndpoints?.(),
      audit,
    ),
  };

  const needHl7 = () => {
    if (hl7) return hl7;
    const why =
      config.hl7.port === undefined
        ? 'HL7 v2 is off on this server (MLLP_PORT=-1)'
        : 'the HL7 v2 listener has not started yet';
    throw fhirError(503, 'transient', `The HL7 message log is unavailable: ${why}`);
  };

  return {
    attach(r) {
      runtime = { ...runtime, ...r };
      if (r.hl7 && !hl7) {
        const rows = hl7MessageRows(r.hl7.interopQuery ?? interopMysqlUrl(config));
        hl7 = { rows, replayer: hl7Replayer({ rows, pipeline: r.hl7.replay }) };
      }
      if (r.hl7?.outbound && !outbound)
        outbound = hl7OutboundAdmin(r.hl7.interopQuery ?? interopMysqlUrl(config), r.hl7.outbound);
      if (r.hl7?.endpoints && !endpoints) endpoints = hl7EndpointAdmin(r.hl7.endpoints);
    },
    ...tasks,
    health: () => runHealthChecks(configuredProbes(config, store, () => runtime)),
    hl7Messages: (filter) => needHl7().rows.list(filter),
    hl7Message: (id) => needHl7().rows.detail(id),
    async replayHl7Message(id) {
      const result = await needHl7().replayer.replay(id);
      o.logger?.info(
        { hl7Message: id, status: result.status, ack: result.ackCode },
        'HL7 message replayed from the console',
      );
      return result;
    },
    async subscriptions() {
      return (await o.subscriptions?.())?.map(subscriptionStatus) ?? [];
    },
    async projections() {
      return [...(await projections.projections()), ...(outbound ? [await outbound.status()] : [])];
    },
    deadLetters: (name) => (name === HL7_OUTBOUND && outbound ? outbound.deadLetters() : projections.deadLetters(name)),
    async retryDeadLetter(name, id) {
      const result =
        name === HL7_OUTBOUND && outbound
          ? await outbound.retry(id)
          : { delivered: await projections.retryDeadLetter(name, id) };
      o.logger?.info({ projection: name, deadLetter: id, ...result }, 'dead letter retried from the console');
      return result;
    },
    async close() {
      await outbound?.close();
      outbound = undefined;
      endpoints = undefined; // the endpoint store is the HL7 runtime's: it closes it
      await hl7?.rows.close();
      hl7 = undefined;
    },
  };
}

function subscriptionStatus(row: SubscriptionRow): SubscriptionStatus {
  const endpoint = row.resource.channel?.endpoint;
  return {
    id: row.id,
    criteria: row.resource.criteria ?? '',
    channel: row.resource.channel?.type ?? '',
    ...(endpoint ? { endpoint } : {}),
    status: row.status,
    eventsQueued: row.eventsQueued,
    deliveredThrough: row.deliveredThrough,
    lastDeliveryAt: row.lastDeliveryAt,
    lastError: row.lastError,
    lastErrorAt: row.lastErrorAt,
  };
}
