/**
 * The real AdminApi of the server. The HTTP app is created before the HL7 listener and the projections start
 * (server/main.ts), so those parts are attached later with `attach()`; until then (or when they are off) the
 * HL7 endpoints answer 503 with the reason, and the projections list is empty.
 */
import type { Logger } from 'pino';
import { badRequest, fhirError } from '../../fhir/errors.js';
import { interopMysqlUrl, type Config } from '../../config.js';
import type { ResourceStore } from '../../store/resource-store.js';
import type { AdminApi, AdminTasks, Hl7Endpoint, SubscriptionStatus } from '../admin-api.js';
import type { ServerState } from '../../state/open-state.js';
import type { ClientRegistration, RegisteredClient } from '../../auth/clients.js';
import { userAdmin, type UserAdmin } from './user-admin.js';
import { clientAdmin, type ClientAdmin } from './client-admin.js';
import { hl7EndpointAdmin, type Hl7EndpointAdmin } from './hl7-endpoint-admin.js';
import { hl7MessageRows, type Hl7MessageRows } from './hl7-message-rows.js';
import { hl7Replayer, type Hl7Replayer } from './hl7-replay.js';
import { projectionAdmin } from './projection-admin.js';
import { HL7_OUTBOUND, hl7OutboundAdmin } from './hl7-outbound-admin.js';
import type { Hl7AdminRuntime, ProjectionsPort, ProjectionTargetUrls } from './runtime-ports.js';
import {
  mysqlProbe,
  postgresProbe,
  redisProbe,
  runHealthChecks,
  tcpProbe,
  where,
  type HealthProbe,
} from './health-checks.js';
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
  auth?: {
    state: ServerState;
    registerClient(registration: ClientRegistration): Promise<RegisteredClient>;
    createLaunch(context: { patient: string; encounter?: string; createdBy: string }): Promise<string>;
    /** Key prefix of the clients in the key-value store (default nilecare:auth:). */
    redisPrefix?: string;
  };
}): ServerAdminApi {
  const { config, store } = o;
  let runtime: AdminRuntime = {};
  let hl7: { rows: Hl7MessageRows; replayer: Hl7Replayer } | undefined;
  let outbound: ReturnType<typeof hl7OutboundAdmin> | undefined;
  const projections = projectionAdmin(() => runtime.projections);
  let users: Promise<UserAdmin> | undefined;
  let clients: Promise<ClientAdmin> | undefined;
  let endpoints: Hl7EndpointAdmin | undefined;
  const needAuth = () => {
    if (o.auth) return o.auth;
    throw fhirError(
      503,
      'not-supported',
      config.auth.mode === 'disabled'
        ? 'Users and client applications need SMART sign-in (this server runs with NILECARE_AUTH=disabled)'
        : 'Users and client applications are unavailable: the authorisation server is not running',
    );
  };
  const userTasks = () => {
    const a = needAuth();
    return (users ??= a.state.authDb().then((db) => userAdmin({ db, keysDir: config.auth.keysDir })));
  };
  const clientTasks = () => {
    const a = needAuth();
    return (clients ??= a.state
      .kv()
      .then((kv) =>
        clientAdmin({ kv, prefix: a.redisPrefix ?? 'nilecare:auth:', registerClient: (r) => a.registerClient(r) }),
      ));
  };
  const endpointTasks = () => {
    if (endpoints) return endpoints;
    const why =
      config.hl7.port === undefined
        ? 'HL7 v2 is off on this server (MLLP_PORT=-1)'
        : 'HL7 v2 has not started (see the server log)';
    throw fhirError(503, 'transient', `Outbound HL7 endpoints are unavailable: ${why}`);
  };
  const audit = (what: string, detail: Record<string, unknown>) => o.logger?.info(detail, `console admin: ${what}`);
  const tasks: AdminTasks = {
    users: async () => (await userTasks()).list(),
    async addUser(user) {
      const added = await (await userTasks()).add(user);
      audit('user added', { user: added.username, role: added.role });
      return added;
    },
    async changeUser(id, change) {
      const changed = await (await userTasks()).change(id, change);
      audit('user changed', {
        user: changed.username,
        changed: Object.keys(change).filter((k) => change[k as keyof typeof change] !== undefined),
      });
      return changed;
    },
    clients: async () => (await clientTasks()).list(),
    async registerClient(registration) {
      const registered = await (await clientTasks()).register(registration as unknown as ClientRegistration);
      audit('client registered', { client: registered.client_id });
      return { ...registered };
    },
    async revokeClient(clientId) {
      await (await clientTasks()).revoke(clientId);
      audit('client revoked', { client: clientId });
    },
    async removeHl7Endpoint(name) {
      await endpointTasks().remove(name);
      await runtime.hl7?.outbound?.reloadEndpoints?.();
      audit('HL7 endpoint removed', { endpoint: name });
    },
    async createLaunch(context) {
      const launch = await needAuth().createLaunch(launchContext(context));
      audit('launch created', { patient: context.patient });
      return { launch };
    },
    hl7Endpoints: () => endpointTasks().list(),
    async addHl7Endpoint(endpoint): Promise<Hl7Endpoint> {
      const added = await endpointTasks().add(endpoint);
      await runtime.hl7?.outbound?.reloadEndpoints?.();
      audit('HL7 endpoint added', { endpoint: added.name, host: added.host, port: added.port });
      return added;
    },
    async setHl7EndpointActive(name, active) {
      const changed = await endpointTasks().setActive(name, active);
      await runtime.hl7?.outbound?.reloadEndpoints?.();
      audit(active ? 'HL7 endpoint enabled' : 'HL7 endpoint disabled', { endpoint: name });
      return changed;
    },
  };

  const needHl7 = () => {
    if (hl7) return hl7;
    const why =
      config.hl7.port === undefined
        ? 'HL7 v2 is off on this server (MLLP_PORT=-1)'
        : 'the HL7 v2 listener has not started yet';
    throw fhirError(503, 'transient', `The HL7 message log is unavailable: ${why}`);
  };

  const probes = (): HealthProbe[] => {
    const list: HealthProbe[] = [
      { component: 'store', what: store.description, probe: async () => (await store.ping(), 'up') },
    ];
    if (config.store.kind === 'postgres')
      list.push(postgresProbe(config.store.url, `FHIR store ${where(config.store.url)}`));
    if (config.auth.mode === 'smart' && config.auth.mysqlUrl) list.push(mysqlProbe(config.auth.mysqlUrl));
    if (config.hl7.port !== undefined && config.hl7.mysqlUrl) list.push(mysqlProbe(config.hl7.mysqlUrl));
    const t = runtime.projections ? runtime.projectionTargets : undefined;
    for (const url of [t?.billingMysqlUrl, t?.labMysqlUrl, t?.medicationMysqlUrl]) if (url) list.push(mysqlProbe(url));
    if (t?.devicesPostgresUrl) list.push(postgresProbe(t.devicesPostgresUrl));
    const redisUrl = config.auth.redisUrl;
    if (redisUrl && (config.auth.mode === 'smart' || config.rateLimitPerMinute > 0)) {
      const uses = [
        config.auth.mode === 'smart' ? 'SMART sessions' : '',
        config.rateLimitPerMinute > 0 ? 'rate limits' : '',
      ]
        .filter(Boolean)
        .join(', ');
      list.push(redisProbe(redisUrl, `${where(redisUrl)} (${uses})`));
    }
    if (config.hl7.port !== undefined) {
      const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
      list.push(
        tcpProbe(
          'MLLP listener',
          host,
          () => runtime.hl7?.server.port,
          `HL7 v2 over MLLP${config.hl7.tlsCertFile ? ' (TLS)' : ''}`,
        ),
      );
    }
    return list;
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
    health: () => runHealthChecks(probes()),
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

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** A launch context as typed by an administrator: ids checked (400). */
export function launchContext(c: { patient?: unknown; encounter?: unknown }) {
  if (typeof c?.patient !== 'string' || !FHIR_ID.test(c.patient)) throw badRequest('patient must be a Patient id');
  if (c.encounter !== undefined && (typeof c.encounter !== 'string' || !FHIR_ID.test(c.encounter)))
    throw badRequest('encounter must be an Encounter id');
  return { patient: c.patient, ...(c.encounter ? { encounter: c.encounter } : {}), createdBy: 'console' };
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
