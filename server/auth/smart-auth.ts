/**
 * The SMART on FHIR authorisation server, assembled: oidc-provider + the SMART layer, users in nilecare_auth
 * (MySQL), shared state in Redis. Mount `router` at the application root, BEFORE any body parser.
 */
import type { RequestHandler } from 'express';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { mysqlStateDb, type StateDb } from '../state/state-db.js';
import type Provider from 'oidc-provider';
import type { AuditEvent } from '@medplum/fhirtypes';
import type { AccessPolicy } from '../fhir/access-policy.js';
import { accessTokenVerifier, type AccessTokenVerifier } from './access-token.js';
import { auditSink } from './audit-sink.js';
import type { AuditTable } from './audit-table.js';
import type { AccessAuditEvent } from './audit-event.js';
import { bearerAuthentication, bearerToken, type Authenticate } from './bearer-authentication.js';
import { registerClient, type ClientRegistration, type RegisteredClient } from './clients.js';
import { isAdmin, mayReadMetrics, type UserDirectory } from './admin-access.js';
import { contextStore, type LaunchContext } from './context-store.js';
import { buildProvider, DEFAULT_LIFETIMES, type TokenLifetimes } from './oidc-config.js';
import { redisAdapterFactory } from './redis-adapter.js';
import { refreshTokenRows } from './refresh-token-rows.js';
import type { SmartAccessPolicy } from './scope-policy.js';
import { installSmartMiddleware } from './smart-middleware.js';
import { smartRouter } from './smart-router.js';
import { publicJwks } from './signing-keys.js';
import { loadSigningKeys, signingProvider, type SigningProvider } from './signing-provider.js';
import { userRows, type UserRows } from './user-rows.js';
import type { PatientChoice } from './html.js';

export interface SmartAuthOptions {
  /** Where the server is reached, e.g. http://127.0.0.1:8080 (the authorisation endpoints live under /auth). */
  issuer: string;
  /** The FHIR base URL: the audience of every access token, e.g. http://127.0.0.1:8080/fhir. */
  fhirBaseUrl: string;
  /** The nilecare_auth database, e.g. mysql://root@127.0.0.1:3306/nilecare_auth (when `db` is not given). */
  mysqlUrl?: string;
  /** The nilecare_auth tables already open (the embedded PostgreSQL ones: server/state); the caller closes it. */
  db?: StateDb;
  /** Where signing and cookie keys are kept (shared by every node). Without it keys live in memory only. */
  keysDir?: string;
  /** Development only: every request gets full access. Refused when NODE_ENV=production. */
  devDisableAuth?: boolean;
  /** Default redis://127.0.0.1:6379 (when `redis` is not given). */
  redisUrl?: string;
  /** The shared state store already open (the embedded one: server/state/sql-kv.ts); the caller closes it. */
  redis?: Redis;
  /** Key prefix in Redis (default `nilecare:auth:`); tests use their own. */
  redisPrefix?: string;
  /** Token lifetimes in seconds. */
  lifetimes?: Partial<TokenLifetimes>;
  /** Trust X-Forwarded-* (behind a reverse proxy). Default false. */
  trustProxy?: boolean;
  /** Receives an AuditEvent for every audited access or denial (the lead wires it to the store). */
  onAuditEvent?: (e: AuditEvent) => Promise<void>;
  /** The compact AuditEvent rows (audit-table.ts, PostgreSQL/PGlite store): used instead of onAuditEvent. */
  auditTrail?: AuditTable;
  /** `db` is embedded in the same PostgreSQL as auditTrail: both audit rows of a batch in one transaction. */
  auditTrailInStateDb?: boolean;
  /** Lets the consent page check a picked patient exists. */
  patientExists?: (id: string) => Promise<boolean>;
  /** Lets the consent page show the patient's name instead of an id. */
  patientLabel?: (id: string) => Promise<string | undefined>;
  /** Lets the consent page find a patient to pick by name or identifier (id + label, a few at most). */
  findPatients?: (text: string) => Promise<PatientChoice[]>;
  /** The server's own clients (the operations console): signed-in users skip the consent page. */
  firstPartyClients?: readonly string[];
  /** Allow backend clients' jwks_uri on loopback (tests / one-machine development only; SSRF guard otherwise). */
  jwksUriAllowLoopback?: boolean;
  /** Where to report problems that must not fail a request (audit write errors). Default console.error. */
  onError?: (message: string, error: unknown) => void;
}

export interface SmartAuth {
  readonly router: RequestHandler;
  /** Bearer token → AccessPolicy; throws AuthError (a FhirError 401, with `wwwAuthenticate`) when missing/invalid. */
  authenticate: Authenticate;
  /**
   * The client id and subject of a valid access token, undefined for a missing or invalid one; not audited (the FHIR
   * endpoint audits the refusal). What the rate limiter counts by.
   */
  verifiedClient(authorizationHeader: string | undefined): Promise<{ client_id?: string; sub?: string } | undefined>;
  audit(event: AccessAuditEvent): Promise<void>;
  /** EHR launch: stores the context and returns the opaque `launch` value to put in the app's launch URL. */
  createLaunch(context: LaunchContext, ttlSeconds?: number): Promise<string>;
  /** Registers (or replaces) a client: server-side callers (CLI, the console's own client at start). */
  registerClient(registration: ClientRegistration): Promise<RegisteredClient>;
  /** Admin power: the admin scope in the token AND an active admin user (admin-access.ts). */
  isAdmin(policy: AccessPolicy): Promise<boolean>;
  /** Role and status of a nilecare_auth user, read at each call (the console's admin check). */
  userOf: UserDirectory;
  /** GET /metrics: a backend service with the metrics scope, or an administrator. */
  mayReadMetrics(policy: AccessPolicy): Promise<boolean>;
  /** New signing keys sign from now on; the previous ones stay in the JWKS so issued tokens keep verifying. */
  rotateKeys(): Promise<void>;
  readonly devDisableAuth: boolean;
  close(): Promise<void>;
}

export async function createSmartAuth(options: SmartAuthOptions): Promise<SmartAuth> {
  const devDisableAuth = refuseDisabledInProduction(options.devDisableAuth === true);
  const issuer = options.issuer.replace(/\/+$/, '');
  const fhirBaseUrl = options.fhirBaseUrl.replace(/\/+$/, '');
  const lifetimes: TokenLifetimes = { ...DEFAULT_LIFETIMES, ...options.lifetimes };
  const prefix = options.redisPrefix ?? 'nilecare:auth:';
  const onError = options.onError ?? ((m: string, e: unknown) => console.error(m, e));

  const stores = openAuthStores(options);
  const { db, redis } = stores;
  const users = userRows(db);
  const userOf = userDirectory(users);
  const contexts = contextStore(redis, prefix);
  const adapterFactory = redisAdapterFactory({ redis, prefix, refreshTokens: refreshTokenRows(db) });
  const sink = auditSink({
    db,
    onError,
    ...(options.auditTrail ? { trail: options.auditTrail } : {}),
    ...(options.auditTrailInStateDb ? { trailInStateDb: true } : {}),
    ...(options.onAuditEvent ? { onAuditEvent: options.onAuditEvent } : {}),
  });
  const audit = (e: AccessAuditEvent) => sink.audit(e);

  const keys = await loadSigningKeys(options.keysDir);
  // Another node (or the CLI) rotated the keys in keysDir: a token with an unknown key makes this node pick them up.
  const verifier = accessTokenVerifier({
    issuer,
    audience: fhirBaseUrl,
    jwks: publicJwks(keys),
    onUnknownKey: () => signing.reloadKeys(),
  });
  const signing: SigningProvider = signingProvider(keys, options.keysDir, (k) =>
    smartProvider({
      build: {
        issuer,
        fhirBaseUrl,
        keys: k,
        adapter: adapterFactory,
        users,
        contexts,
        lifetimes,
        jwksUriAllowLoopback: options.jwksUriAllowLoopback === true,
      },
      trustProxy: options.trustProxy === true,
      verifier,
      audit,
      onError,
    }),
  );

  const authenticate = bearerAuthentication({ fhirBaseUrl, verifier, contexts, audit, devDisableAuth });
  const isAdminPolicy = (policy: AccessPolicy) => isAdmin(policy, userOf);
  const router = smartRouter({
    issuer,
    fhirBaseUrl,
    provider: () => signing.provider(),
    callback: () => signing.callback(),
    clients: () => adapterFactory('Client'),
    users,
    contexts,
    grantTtlSeconds: lifetimes.refreshToken,
    bearerPolicy: async (req) =>
      (await authenticate(req.get('authorization'), { ...(req.ip ? { ip: req.ip } : {}) })) as SmartAccessPolicy,
    isAdmin: isAdminPolicy,
    audit,
    consent: {
      ...(options.patientExists ? { patientExists: options.patientExists } : {}),
      ...(options.patientLabel ? { patientLabel: options.patientLabel } : {}),
      ...(options.findPatients ? { findPatients: options.findPatients } : {}),
      ...(options.firstPartyClients ? { firstPartyClients: options.firstPartyClients } : {}),
    },
  });

  return {
    router,
    authenticate,
    async verifiedClient(header) {
      const token = bearerToken(header);
      if (!token) return undefined;
      const check = await verifier.verify(token);
      return check.ok ? check.claims : undefined;
    },
    audit,
    createLaunch: (ctx, ttl) => contexts.createLaunch(ctx, ttl),
    registerClient: (reg) => registerClient(signing.provider(), adapterFactory('Client'), reg, { replace: true }),
    isAdmin: isAdminPolicy,
    userOf,
    mayReadMetrics: (policy) => mayReadMetrics(policy, userOf),
    async rotateKeys() {
      verifier.setJwks(await signing.rotate());
    },
    devDisableAuth,
    async close() {
      await sink.flush();
      await stores.close();
    },
  };
}

function refuseDisabledInProduction(devDisableAuth: boolean): boolean {
  if (devDisableAuth) {
    if (process.env.NODE_ENV === 'production') throw new Error('devDisableAuth is refused when NODE_ENV=production');
    console.warn(
      'WARNING: SMART authorisation is DISABLED (devDisableAuth): every request has full access to every record. Never use this with real data.',
    );
  }
  return devDisableAuth;
}

/** nilecare_auth and the shared state: the caller's when given (it closes them), else opened here and closed here. */
function openAuthStores(options: SmartAuthOptions): { db: StateDb; redis: Redis; close(): Promise<void> } {
  const db = options.db ?? openMysqlState(options.mysqlUrl ?? 'mysql://root@127.0.0.1:3306/nilecare_auth');
  const redis =
    options.redis ??
    new Redis(options.redisUrl ?? 'redis://127.0.0.1:6379', { lazyConnect: false, maxRetriesPerRequest: 2 });
  return {
    db,
    redis,
    async close() {
      if (!options.redis) redis.disconnect();
      if (!options.db) await db.close();
    },
  };
}

function userDirectory(users: UserRows): UserDirectory {
  return async (id) => {
    const user = await users.findById(id);
    return user ? { role: user.role, status: user.status } : undefined;
  };
}

/** oidc-provider with the SMART layer: launch context, token claims, every token event audited. */
function smartProvider(o: {
  build: Parameters<typeof buildProvider>[0];
  trustProxy: boolean;
  verifier: AccessTokenVerifier;
  audit: (e: AccessAuditEvent) => Promise<void>;
  onError: (message: string, error: unknown) => void;
}): Provider {
  const p = buildProvider(o.build);
  p.proxy = o.trustProxy;
  installSmartMiddleware(p, {
    fhirBaseUrl: o.build.fhirBaseUrl,
    issuer: o.build.issuer,
    contexts: o.build.contexts,
    verifier: o.verifier,
    onEvent: (e) => {
      void o.audit({
        action: e.action,
        outcome: e.ok ? 'success' : 'denied',
        who: e.clientId ? `client:${e.clientId}` : 'anonymous',
        ...(e.userId ? { userId: e.userId } : {}),
        ...(e.detail ? { detail: e.detail } : {}),
        ...(e.ip ? { ip: e.ip } : {}),
      });
    },
  });
  p.on('server_error', (_ctx, err) => o.onError('auth: oidc-provider server error', err));
  return p;
}

/** nilecare_auth on MySQL/MariaDB: times in UTC on both sides. */
export function openMysqlState(url: string): StateDb {
  const pool = mysql.createPool({ uri: url, connectionLimit: 10, timezone: 'Z', dateStrings: false });
  pool.on('connection', (c) => {
    void c.query("SET time_zone = '+00:00'");
  });
  let where = 'mysql';
  try {
    const u = new URL(url);
    where = `mysql://${u.host}${u.pathname}`;
  } catch {
    // keep the generic name
  }
  return mysqlStateDb(pool, where);
}
