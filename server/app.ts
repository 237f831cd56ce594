/**
 * The composition root: picks the store, wires the FHIR services (validation, indexing, search, patch)
 * into the interactions, and mounts the HTTP endpoints. Nothing else knows which implementations run.
 */
import express from 'express';
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';
import type { ResourceStore } from './store/resource-store.js';
import type { AccessPolicy } from './fhir/access-policy.js';
import { FULL_ACCESS } from './fhir/access-policy.js';
import type { FhirServices } from './fhir/fhir-context.js';
import { loadDefinitions } from './fhir/definitions.js';
import { validateResource } from './fhir/validation/validate-resource.js';
import { applyFhirPathPatch } from './fhir/patch/fhirpath-patch.js';
import { compartmentsOf } from './fhir/indexing/compartments.js';
import { storeSearch } from './fhir/search/store-search.js';
import { OperationRegistry } from './fhir/operations/operation-registry.js';
import { terminologyOperations } from './fhir/terminology/terminology-operations.js';
import { metaOperations } from './fhir/operations/meta-operations.js';
import { validateOperation } from './fhir/operations/validate-operation.js';
import { everythingOperation } from './fhir/operations/everything-operation.js';
import { lastnOperation } from './fhir/operations/lastn-operation.js';
import { graphqlOperation } from './fhir/graphql/graphql-operation.js';
import { exportOperations } from './fhir/operations/export/export-operations.js';
import type { RuntimeMetrics } from './http/runtime-metrics.js';
import { fhirExpressRouter } from './http/fhir-express-router.js';
import { createMetrics } from './http/metrics.js';
import { interactionName } from './http/interaction-name.js';
import { openServerState, type ServerState } from './state/open-state.js';
import { reaching } from './component-error.js';
import { processBundle } from './fhir/bundle/process-bundle.js';
import { openConfiguredStore } from './open-store.js';
import { openContentStore } from './open-content-store.js';
import { internalFhirClient, type InternalFhirClient } from './fhir/internal-client.js';
import type { RouterOptions } from './fhir/router.js';
import { startSmartAuth } from './auth-wiring.js';
import { fhirAccessAudit } from './auth/fhir-access-audit.js';
import { openAuditTable } from './auth/audit-table.js';
import { auditEventStore } from './auth/audit-event-store.js';
import { sqlClientOf } from './store/postgres/open-postgres-store.js';
import type { SmartAuth } from './auth/smart-auth.js';
import { serverAdminApi, type AdminRuntime } from './console/admin/server-admin-api.js';
import type { LocalAdminCredential } from './console/admin/local-admin-credential.js';
import { mountHttp } from './app-http.js';
import { StartupGate } from './http/startup-gate.js';
import { startBackgroundReindex } from './reindex-wiring.js';
import { DEFAULT_PROFILE_FILE, loadMatchProfile } from './fhir/matching/match-profile.js';
import { matchOperation } from './fhir/matching/match-operation.js';
import { duplicateCheck } from './fhir/matching/duplicate-check.js';
import { registerPatientMetrics } from './http/patient-metrics.js';
import { reportingIndexExtractor } from './http/index-problem-metrics.js';
import { requireRedis } from './redis-check.js';
import { subscriptionWriteRules } from './fhir/subscriptions/subscription-write-rules.js';
import { startConfiguredSubscriptions, type RunningSubscriptions } from './subscriptions-wiring.js';
import { subscriptionOperations } from './fhir/subscriptions/subscription-operations.js';
import { WriteSignal } from './change-feed/write-signal.js';

export type App = {
  express: express.Express;
  services: FhirServices;
  store: ResourceStore;
  /** The server's own state beside FHIR (SMART users, shared state): external or embedded. */
  state: ServerState;
  logger: Logger;
  /** In-process FHIR access with full rights, for server components (HL7 listener, projections, console). */
  systemClient: InternalFhirClient;
  /** The SMART authorisation server, when authorisation is on. */
  auth?: SmartAuth;
  /**
   * Hands the parts that start after the HTTP app (server/main.ts: the HL7 listener, the projections) to the
   * operations console (/console). Until then its HL7 pages answer 503 and it lists no projections.
   */
  attachRuntime(runtime: AdminRuntime): void;
  /**
   * From now until attachRuntime, /readyz answers 503 "starting" (server/start-server.ts calls it before it listens:
   * nothing written once the server is ready escapes the HL7 outbound or projection consumers starting after it).
   */
  holdReadinessUntilAttached(): void;
  /** Gauges and counters of the HL7 listener, HL7 outbound and the projections (GET /metrics). */
  runtimeMetrics: RuntimeMetrics;
  /** Subscription notifications (absent when NILECARE_SUBSCRIPTIONS=off); its websocket hub attaches to HTTP. */
  subscriptions?: RunningSubscriptions;
  /** The command-line tools' admin token, when the users live in the PGlite folder (published once listening). */
  localAdmin?: LocalAdminCredential;
  close(): Promise<void>;
};

export type AppOptions = {
  /** Use this store instead of opening the configured one (tests). The app does not close it. */
  store?: ResourceStore;
  /** Resolve callers differently (tests, or the SMART layer when auth is on). */
  resolveAccess?: (req: express.Request) => Promise<AccessPolicy>;
  logger?: Logger;
  /** Redis key prefix of the SMART authorisation server (tests keep theirs apart). */
  authRedisPrefix?: string;
};

export const SOFTWARE = { name: 'NileCare FHIR', version: '0.1.0' } as const;

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  // Fail fast, naming REDIS_URL, before anything is opened (it used to start and never become ready).
  // Only when REDIS_URL is set: without it the shared state is embedded (server/state).
  if (!options.resolveAccess && config.auth.mode === 'smart' && config.auth.redisUrl)
    await requireRedis(config.auth.redisUrl, 'SMART sign-in, clients and tokens');
  const { definitions, store, auditTrail, contents, metrics, indexWithReports, reindex } = await openStorage(
    config,
    options,
    logger,
  );

  // SMART users, sessions, rate limits: MySQL/Redis where their URLs are set, else embedded beside the FHIR data.
  const state = openServerState(config, store, logger);

  const matchProfile = loadMatchProfile(config.patients.matchProfileFile ?? DEFAULT_PROFILE_FILE);
  const patientMetrics = registerPatientMetrics(metrics.registry, () => reindex.outdated());
  const writeSignal = new WriteSignal();
  const services = fhirServices(config, {
    // writes wake the change-log consumers that listen (subscriptions) instead of their polling
    store: writeSignal.observe(auditTrail ? auditEventStore(store, auditTrail) : store),
    contents,
    resourceTypes: definitions.resourceTypes,
    extractIndex: indexWithReports,
    ...(config.patients.duplicateCheck ? { duplicates: duplicatesOf(matchProfile, patientMetrics, logger) } : {}),
  });

  const { operations, bulk } = await registerOperations(config, matchProfile, logger);
  const routerOptions = fhirRouterOptions(operations, config.auth.mode === 'smart' && !options.resolveAccess, config);
  const systemClient = internalFhirClient(services, routerOptions, { ...FULL_ACCESS, who: 'system (internal)' });
  const { auth, resolveAccess } = await resolveCallers({
    config,
    options,
    store,
    logger,
    state,
    auditTrail,
    services,
    routerOptions,
  });
  const subscriptions = await startConfiguredSubscriptions(
    config,
    store,
    services,
    state,
    logger,
    writeSignal,
    (authorization) => resolveAccess(requestWithAuthorization(authorization)),
  );
  // $status / $events answer from the delivery bookkeeping (Subscriptions R5 Backport IG)
  if (subscriptions)
    for (const handler of subscriptionOperations(subscriptions.db, config.subscriptions)) operations.register(handler);

  const admin = consoleAdminApi({
    config,
    store,
    logger,
    state,
    auth,
    subscriptions,
    redisPrefix: options.authRedisPrefix,
  });
  const startup = new StartupGate();
  const http = await mountHttp({
    config,
    startup,
    store,
    state,
    auth,
    metrics,
    admin,
    services,
    routerOptions,
    resolveAccess,
    onResponse: responseObserver({ auth, metrics, resourceTypes: services.resourceTypes, logger }),
    logger,
  });
  const { runtimeMetrics, console: consoleMount } = http;

  return {
    express: http.app,
    services,
    store: services.store,
    logger,
    systemClient,
    auth,
    holdReadinessUntilAttached: () => startup.hold(),
    attachRuntime: (runtime) => {
      startup.release();
      admin.attach(runtime);
      runtimeMetrics.attach({
        ...(runtime.projections ? { projections: runtime.projections } : {}),
        ...(runtime.hl7?.outbound ? { hl7Outbound: runtime.hl7.outbound } : {}),
      });
    },
    runtimeMetrics,
    state,
    ...(subscriptions ? { subscriptions } : {}),
    // only for a folder this app opened itself (a test's injected store is not the configured folder)
    ...(consoleMount.localAdmin && !options.store ? { localAdmin: consoleMount.localAdmin } : {}),
    async close() {
      await subscriptions?.stop();
      await admin.close();
      await consoleMount.close();
      await auth?.close();
      await bulk.stop();
      await reindex.stop();
      http.close();
      await state.close();
      await contents.close();
      if (!options.store) await store.close();
    },
  };
}

/**
 * The FHIR store (initialised), the audit trail's rows, the Binary content store, the metrics registry with the
 * reporting index extractor, and the background reindex: everything the FHIR services are built on.
 */
async function openStorage(config: Config, options: AppOptions, logger: Logger) {
  const definitions = loadDefinitions();
  const store = await openAndInitStore(config, options.store);
  // The audit trail as compact rows beside the FHIR data (PostgreSQL/PGlite); the FHIR layer reads AuditEvents there.
  const storeSql = config.auth.mode === 'smart' && !options.resolveAccess ? sqlClientOf(store) : undefined;
  const auditTrail = storeSql ? await openAuditTable(storeSql) : undefined;
  // Binary bytes: beside the FHIR store (chunk table or GridFS buckets), streamed, never inside the resource JSON.
  const contents = await openContentStore(config, store);
  await contents.init();
  const metrics = createMetrics();
  const indexWithReports = reportingIndexExtractor(metrics.registry, logger); // skipped values logged and counted
  const reindex = await startBackgroundReindex({
    store,
    mode: config.patients.reindex,
    resourceTypes: definitions.resourceTypes,
    extractIndex: indexWithReports,
    logger,
  });
  return { definitions, store, auditTrail, contents, metrics, indexWithReports, reindex };
}

/** The given store (tests), or the configured one; initialised, a server that cannot be reached named by its variable. */
async function openAndInitStore(config: Config, given: ResourceStore | undefined): Promise<ResourceStore> {
  const store = given ?? (await openConfiguredStore(config.store));
  const storeConfig = config.store;
  if (given || storeConfig.kind === 'pglite') await store.init();
  else
    await reaching(
      'FHIR store',
      storeConfig.kind === 'postgres' ? 'DATABASE_URL' : 'MONGODB_URL',
      storeConfig.url,
      () => store.init(),
    );
  return store;
}

/** Patient duplicate check on create (PATIENT_DUPLICATE_CHECK): counted, and never failing the write. */
function duplicatesOf(
  profile: ReturnType<typeof loadMatchProfile>,
  patientMetrics: ReturnType<typeof registerPatientMetrics>,
  logger: Logger,
): NonNullable<FhirServices['duplicates']> {
  return duplicateCheck({
    profile,
    // eslint-disable-next-line @typescript-eslint/unbound-method -- an arrow function property, no `this`
    onDetected: patientMetrics.duplicateDetected,
    onError: (error) => {
      patientMetrics.duplicateCheckFailed();
      logger.error({ err: error }, 'duplicate check failed');
    },
  });
}

/** $validate, $everything, $match, terminology and bulk export; export jobs interrupted by the last stop are failed. */
async function registerOperations(
  config: Config,
  matchProfile: ReturnType<typeof loadMatchProfile>,
  logger: Logger,
): Promise<{ operations: OperationRegistry; bulk: ReturnType<typeof exportOperations> }> {
  const operations = new OperationRegistry().register({
    name: 'validate',
    definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
    levels: ['type', 'instance'],
    methods: ['POST', 'GET'],
    handle: (ctx, request, target) =>
      validateOperation(
        ctx,
        request,
        target.level === 'system' ? '' : target.resourceType,
        target.level === 'instance' ? target.id : undefined,
      ),
  });
  operations.register(everythingOperation);
  operations.register(lastnOperation);
  operations.register(graphqlOperation);
  operations.register(matchOperation(matchProfile));
  for (const handler of terminologyOperations) operations.register(handler);
  for (const handler of metaOperations) operations.register(handler);
  const bulk = exportOperations(config.exportDir, { retentionMs: config.exportRetentionHours * 3600_000 });
  for (const handler of bulk.handlers) operations.register(handler);
  const recovered = await bulk.start();
  if (recovered.interrupted > 0)
    logger.warn(
      { interrupted: recovered.interrupted },
      'bulk export jobs interrupted by the last stop were marked failed and their partial files removed',
    );
  return { operations, bulk };
}

/**
 * Who a request is: the tests' resolver when given; everyone with full access when NILECARE_AUTH=disabled (refused
 * in production); else the SMART authorisation server, whose audit sink is the only writer of AuditEvents.
 */
async function resolveCallers(o: {
  config: Config;
  options: AppOptions;
  store: ResourceStore;
  logger: Logger;
  state: ServerState;
  auditTrail: Awaited<ReturnType<typeof openAuditTable>> | undefined;
  services: FhirServices;
  routerOptions: RouterOptions;
}): Promise<{ auth?: SmartAuth; resolveAccess: (req: express.Request) => Promise<AccessPolicy> }> {
  const { config, options, logger } = o;
  if (options.resolveAccess) return { resolveAccess: options.resolveAccess };
  if (config.auth.mode === 'disabled') {
    if (process.env.NODE_ENV === 'production')
      throw new Error('NILECARE_AUTH=disabled is refused when NODE_ENV=production');
    logger.warn(
      'AUTHORISATION IS DISABLED (NILECARE_AUTH=disabled): every caller has full access to every record. Development only.',
    );
    return { resolveAccess: async () => FULL_ACCESS };
  }
  // The only writer of AuditEvents (append-only; every other caller gets 405): the audit sink of server/auth.
  const auditWriter = internalFhirClient(o.services, o.routerOptions, {
    ...FULL_ACCESS,
    who: 'system (audit)',
    writesAuditEvents: true,
  });
  const auth = await startSmartAuth({
    config,
    store: o.store,
    logger,
    state: o.state,
    fhir: () => auditWriter,
    ...(o.auditTrail ? { auditTrail: o.auditTrail } : {}),
    ...(options.authRedisPrefix ? { redisPrefix: options.authRedisPrefix } : {}),
  });
  return {
    auth,
    // ip and user agent are read only when a refusal is audited (req.ip walks X-Forwarded-For: not free per request)
    resolveAccess: (req) =>
      auth.authenticate(req.headers.authorization, {
        get ip() {
          return req.ip;
        },
        get userAgent() {
          return req.headers['user-agent'];
        },
      }),
  };
}

/**
 * The caller's address as req.ip gives it; without 'trust proxy' (this app sets none) that is the socket's peer, read
 * directly instead of through req.ip's X-Forwarded-For walk (once per audited request).
 */
function clientIp(req: express.Request): string | undefined {
  return req.app.get('trust proxy') ? req.ip : req.socket.remoteAddress;
}

/** After each FHIR response: the access audit (SMART on), the request metrics and one log line without patient data. */
function responseObserver(o: {
  auth: SmartAuth | undefined;
  metrics: ReturnType<typeof createMetrics>;
  resourceTypes: ReadonlySet<string>;
  logger: Logger;
}): NonNullable<Parameters<typeof fhirExpressRouter>[0]['onResponse']> {
  const { auth, metrics, logger } = o;
  return ({ interaction, status, durationMs, req, access }) => {
    if (auth) {
      const location = req.res?.getHeader('location');
      const audit = fhirAccessAudit({
        interaction,
        status,
        access,
        ip: clientIp(req),
        userAgent: req.headers['user-agent'],
        ...(typeof location === 'string' ? { location } : {}),
      });
      if (audit) void auth.audit(audit).catch((error: unknown) => logger.error({ err: error }, 'audit write failed'));
    }
    const name = interactionName(interaction);
    const type = o.resourceTypes.has(interaction.segments[0] ?? '') ? (interaction.segments[0] as string) : '-';
    metrics.observeRequest(name, type, status, durationMs / 1000);
    // No query strings, ids or bodies: they can carry patient data.
    logger.info(
      {
        requestId: req.res?.locals['requestId'],
        interaction: name,
        type,
        status,
        ms: Math.round(durationMs * 10) / 10,
      },
      'request',
    );
  };
}

/** The FHIR layer's services: the store and its content, validation, indexing, search, patch, limits, clock and ids. */
function fhirServices(
  config: Config,
  o: Pick<FhirServices, 'store' | 'contents' | 'extractIndex' | 'duplicates'> & { resourceTypes: readonly string[] },
): FhirServices {
  return {
    store: o.store,
    contents: o.contents,
    baseUrl: config.baseUrl,
    resourceTypes: new Set(o.resourceTypes),
    validate: (resource, opts) => validateResource(resource, opts),
    extractIndex: o.extractIndex,
    compartmentsOf,
    search: storeSearch,
    applyFhirPathPatch,
    limits: config.limits,
    subscriptions: subscriptionWriteRules({
      resourceTypes: new Set(o.resourceTypes),
      endpointAllowList: config.subscriptions.endpointAllowList,
    }),
    now: () => new Date(),
    newId: () => randomUUID(),
    ...(o.duplicates ? { duplicates: o.duplicates } : {}),
  };
}

/** Operations, Bundle processing and the CapabilityStatement (with SMART's security section when `smart`). */
function fhirRouterOptions(operations: OperationRegistry, smart: boolean, config: Config): RouterOptions {
  return {
    operations,
    bundle: processBundle,
    capabilities: {
      software: SOFTWARE,
      systemInteractions: ['transaction', 'batch', 'search-system', 'history-system'],
      patchFormats: ['application/json-patch+json', 'application/fhir+json'],
      ...(smart ? { security: smartSecurity(config.baseUrl) } : {}),
    },
  };
}

/** A request carrying only an Authorization header (the websocket's bind-with-token resolves its caller with it). */
function requestWithAuthorization(authorization: string | undefined): express.Request {
  return {
    get: (name: string) => (name.toLowerCase() === 'authorization' ? authorization : undefined),
    headers: authorization ? { authorization } : {},
  } as unknown as express.Request;
}

/** The console's admin API: users and clients through the SMART server when it runs, the subscriptions list. */
function consoleAdminApi(o: {
  config: Config;
  store: ResourceStore;
  logger: Logger;
  state: ServerState;
  auth: SmartAuth | undefined;
  subscriptions: RunningSubscriptions | undefined;
  redisPrefix: string | undefined;
}): ReturnType<typeof serverAdminApi> {
  const { auth, subscriptions } = o;
  return serverAdminApi({
    config: o.config,
    store: o.store,
    logger: o.logger,
    ...(subscriptions ? { subscriptions: () => subscriptions.engine.list() } : {}),
    ...(auth
      ? {
          auth: {
            state: o.state,
            registerClient: (registration) => auth.registerClient(registration),
            createLaunch: (context) => auth.createLaunch(context),
            ...(o.redisPrefix ? { redisPrefix: o.redisPrefix } : {}),
          },
        }
      : {}),
  });
}

/** CapabilityStatement.rest.security for SMART on FHIR (service code + the OAuth endpoints extension). */
function smartSecurity(baseUrl: string) {
  const origin = new URL(baseUrl).origin;
  return {
    cors: true,
    service: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] },
    ],
    extension: [
      {
        url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
        extension: ['authorize', 'token', 'introspect', 'revoke'].map((name) => ({
          url: name,
          valueUri: `${origin}/auth/${name}`,
        })),
      },
    ],
  };
}
