/**
 * The SMART on FHIR authorisation server, assembled: oidc-provider + the SMART layer, users in nilecare_auth
 * (MySQL), shared state in Redis. Mount `router` at the application root, BEFORE any body parser.
 */
import express, { type Router } from 'express';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { mysqlStateDb, type StateDb } from '../state/state-db.js';
import type Provider from 'oidc-provider';
import type { AuditEvent } from '@medplum/fhirtypes';
import type { AccessPolicy } from '../fhir/access-policy.js';
import { accessTokenVerifier } from './access-token.js';
import { auditSink } from './audit-sink.js';
import type { AuditTable } from './audit-table.js';
import type { AccessAuditEvent } from './audit-event.js';
import { unauthorized } from './auth-errors.js';
import { registerClient, type ClientRegistration, type RegisteredClient } from './clients.js';
import { isAdmin, mayReadMetrics, type UserDirectory } from './admin-access.js';
import { launchRouter } from './launch-route.js';
import { registrationRouter } from './registration-routes.js';
import { contextStore, type LaunchContext } from './context-store.js';
import { errorPage } from './html.js';
import { interactionRouter } from './interactions.js';
import { buildProvider, DEFAULT_LIFETIMES, type TokenLifetimes } from './oidc-config.js';
import { redisAdapterFactory } from './redis-adapter.js';
import { refreshTokenRows } from './refresh-token-rows.js';
import { policyFromScopes, type SmartAccessPolicy } from './scope-policy.js';
import { smartConfiguration } from './smart-configuration.js';
import { installSmartMiddleware } from './smart-middleware.js';
import { loadOrCreateKeys, publicJwks, rotate } from './signing-keys.js';
import { userRows } from './user-rows.js';

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
  /** The server's own clients (the operations console): signed-in users skip the consent page. */
  firstPartyClients?: readonly string[];
  /** Allow backend clients' jwks_uri on loopback (tests / one-machine development only; SSRF guard otherwise). */
  jwksUriAllowLoopback?: boolean;
  /** Where to report problems that must not fail a request (audit write errors). Default console.error. */
  onError?: (message: string, error: unknown) => void;
}

export interface SmartAuth {
  readonly router: Router;
  /** Bearer token → AccessPolicy; throws AuthError (a FhirError 401, with `wwwAuthenticate`) when missing/invalid. */
  authenticate(
    authorizationHeader: string | undefined,
    from?: { ip?: string; userAgent?: string },
  ): Promise<AccessPolicy>;
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
  const devDisableAuth = options.devDisableAuth === true;
  if (devDisableAuth) {
    if (process.env.NODE_ENV === 'production') throw new Error('devDisableAuth is refused when NODE_ENV=production');
    console.warn(
      'WARNING: SMART authorisation is DISABLED (devDisableAuth): every request has full access to every record. Never use this with real data.',
    );
  }
  const issuer = options.issuer.replace(/\/+$/, '');
  const fhirBaseUrl = options.fhirBaseUrl.replace(/\/+$/, '');
  const lifetimes: TokenLifetimes = { ...DEFAULT_LIFETIMES, ...options.lifetimes };
  const prefix = options.redisPrefix ?? 'nilecare:auth:';
  const onError = options.onError ?? ((m: string, e: unknown) => console.error(m, e));

  const db = options.db ?? openMysqlState(options.mysqlUrl ?? 'mysql://root@127.0.0.1:3306/nilecare_auth');
  const ownDb = options.db ? undefined : db;
  const redis =
    options.redis ??
    new Redis(options.redisUrl ?? 'redis://127.0.0.1:6379', { lazyConnect: false, maxRetriesPerRequest: 2 });
  const ownRedis = options.redis ? undefined : redis;
  const users = userRows(db);
  const userOf: UserDirectory = async (id) => {
    const user = await users.findById(id);
    return user ? { role: user.role, status: user.status } : undefined;
  };
  const contexts = contextStore(redis, prefix);
  const adapterFactory = redisAdapterFactory({ redis, prefix, refreshTokens: refreshTokenRows(db) });
  if (!options.keysDir)
    console.warn(
      'auth: no keysDir given, signing keys are kept in memory (tokens die with the process; not for several nodes)',
    );
  let keys = await loadOrCreateKeys(options.keysDir);
  let lastReload = 0;
  const verifier = accessTokenVerifier({
    issuer,
    audience: fhirBaseUrl,
    jwks: publicJwks(keys),
    // Another node (or the CLI) rotated the keys in keysDir: pick them up, at most every 10 s, and sign with them too.
    onUnknownKey: async () => {
      if (!options.keysDir || Date.now() - lastReload < 10_000) return undefined;
      lastReload = Date.now();
      const fresh = await loadOrCreateKeys(options.keysDir);
      if (fresh.keys[0]?.kid === keys.keys[0]?.kid) return undefined;
      keys = fresh;
      provider = makeProvider();
      callback = provider.callback();
      return publicJwks(keys);
    },
  });
  const sink = auditSink({
    db,
    onError,
    ...(options.auditTrail ? { trail: options.auditTrail } : {}),
    ...(options.auditTrailInStateDb ? { trailInStateDb: true } : {}),
    ...(options.onAuditEvent ? { onAuditEvent: options.onAuditEvent } : {}),
  });

  const makeProvider = (): Provider => {
    const p = buildProvider({
      issuer,
      fhirBaseUrl,
      keys,
      adapter: adapterFactory,
      users,
      contexts,
      lifetimes,
      jwksUriAllowLoopback: options.jwksUriAllowLoopback === true,
    });
    p.proxy = options.trustProxy === true;
    installSmartMiddleware(p, {
      fhirBaseUrl,
      issuer,
      contexts,
      verifier,
      onEvent: (e) => {
        void sink.audit({
          action: e.action,
          outcome: e.ok ? 'success' : 'denied',
          who: e.clientId ? `client:${e.clientId}` : 'anonymous',
          ...(e.userId ? { userId: e.userId } : {}),
          ...(e.detail ? { detail: e.detail } : {}),
          ...(e.ip ? { ip: e.ip } : {}),
        });
      },
    });
    p.on('server_error', (_ctx, err) => onError('auth: oidc-provider server error', err));
    return p;
  };
  let provider = makeProvider();
  let callback = provider.callback();

  const authenticate = async (
    header: string | undefined,
    from?: { ip?: string; userAgent?: string },
  ): Promise<AccessPolicy> => {
    if (devDisableAuth)
      return { who: 'anonymous (authorisation disabled)', allows: () => true, constraints: () => undefined };
    const deny = async (description: string, bad: boolean) => {
      await sink.audit({
        action: 'authenticate',
        outcome: 'denied',
        who: 'anonymous',
        detail: description,
        ...(from?.ip ? { ip: from.ip } : {}),
        ...(from?.userAgent ? { userAgent: from.userAgent } : {}),
        status: 401,
      });
      return unauthorized(fhirBaseUrl, description, bad ? 'invalid_token' : undefined);
    };
    if (!header || !header.trim())
      throw await deny('An access token is required (Authorization: Bearer <token>)', false);
    const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    if (!m) throw await deny('The Authorization header must be "Bearer <access token>"', true);
    const check = await verifier.verify(m[1]!);
    if (!check.ok) throw await deny(check.reason, true);
    const c = check.claims;
    if (!(await contexts.tokenStillValid(String(c.jti), c.grant_id)))
      throw await deny('the access token has been revoked', true);
    return policyFromScopes({
      scope: c.scope ?? '',
      ...(c.patient ? { patient: c.patient } : {}),
      ...(c.encounter ? { encounter: c.encounter } : {}),
      ...(c.fhirUser ? { fhirUser: c.fhirUser } : {}),
      ...(c.client_id ? { clientId: c.client_id } : {}),
      ...(c.sub ? { sub: c.sub } : {}),
    });
  };

  const router = express.Router();
  const discovery = smartConfiguration(issuer);
  const fhirPath = new URL(fhirBaseUrl).pathname.replace(/\/+$/, '');
  for (const path of ['/.well-known/smart-configuration', `${fhirPath}/.well-known/smart-configuration`]) {
    router.get(path, (_req, res) => {
      res.set({ 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'public, max-age=300' }).json(discovery);
    });
  }
  router.use(
    interactionRouter({
      provider: () => provider,
      fhirBaseUrl,
      users,
      contexts,
      grantTtlSeconds: lifetimes.refreshToken,
      audit: (e) => sink.audit(e),
      ...(options.patientExists ? { patientExists: options.patientExists } : {}),
      ...(options.patientLabel ? { patientLabel: options.patientLabel } : {}),
      ...(options.firstPartyClients ? { firstPartyClients: options.firstPartyClients } : {}),
    }),
  );
  const bearerPolicy = async (req: express.Request) =>
    (await authenticate(req.get('authorization'), { ...(req.ip ? { ip: req.ip } : {}) })) as SmartAccessPolicy;

  router.use(
    launchRouter({
      contexts,
      bearerPolicy,
      audit: (e) => sink.audit(e),
    }),
  );
  router.use(
    registrationRouter({
      issuer,
      provider: () => provider,
      clients: () => adapterFactory('Client'),
      bearerPolicy,
      isAdmin: (policy) => isAdmin(policy, userOf),
      audit: (e) => sink.audit(e),
    }),
  );

  router.use((req, res, next) => {
    if (req.path.startsWith('/auth/') || req.path === '/.well-known/openid-configuration') return callback(req, res);
    next();
  });
  // Bodies our own routes could not parse: a clear 400/413, never express's HTML stack page.
  router.use((err: unknown, req: express.Request, res: express.Response, next: express.NextFunction) => {
    const e = err as { type?: string; status?: number; message?: string };
    if (!e?.type || !req.path.startsWith('/auth/')) {
      next(err);
      return;
    }
    const status = e.type === 'entity.too.large' ? 413 : 400;
    const description =
      e.type === 'entity.parse.failed'
        ? 'the body is not valid JSON'
        : e.type === 'entity.too.large'
          ? 'the body is too large'
          : String(e.message ?? 'bad request');
    if (req.path.startsWith('/auth/interaction/'))
      res.status(status).type('html').send(errorPage('Bad request', description));
    else res.status(status).json({ error: 'invalid_request', error_description: description });
  });

  return {
    router,
    authenticate,
    audit: (e) => sink.audit(e),
    createLaunch: (ctx, ttl) => contexts.createLaunch(ctx, ttl),
    registerClient: (reg) => registerClient(provider, adapterFactory('Client'), reg, { replace: true }),
    isAdmin: (policy) => isAdmin(policy, userOf),
    userOf,
    mayReadMetrics: (policy) => mayReadMetrics(policy, userOf),
    async rotateKeys() {
      keys = await rotate(keys, options.keysDir);
      verifier.setJwks(publicJwks(keys));
      provider = makeProvider();
      callback = provider.callback();
    },
    devDisableAuth,
    async close() {
      await sink.flush();
      ownRedis?.disconnect();
      await ownDb?.close();
    },
  };
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
