/**
 * oidc-provider configured for SMART App Launch v2: authorisation code + PKCE S256 only, SMART scopes through
 * resource indicators (the FHIR base is the only resource server), JWT access tokens carrying the launch
 * context, private_key_jwt (RS384/ES384) for backend services, refresh tokens only with offline_access.
 */
import Provider, { errors, type Adapter, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { isResourceServerClient, smartScopeOf } from './clients.js';
import { secretMatches } from './secret-hash.js';
import { errorPage, loggedOutPage, logoutPage } from './html.js';
import { fhirUserOf } from './login.js';
import type { ContextStore } from './context-store.js';
import type { KeyMaterial } from './signing-keys.js';
import { ADMIN_SCOPE, NON_RESOURCE_SCOPES, parseScopes, scopeCovers, type ResourceScope } from './scopes.js';
import type { UserRows } from './user-rows.js';

export interface TokenLifetimes {
  /** Access tokens from user flows, seconds (default 3600). */
  readonly accessToken: number;
  /** Backend-services access tokens (default 300, as SMART recommends). */
  readonly clientCredentials: number;
  /** Refresh tokens and grants (default 14 days). */
  readonly refreshToken: number;
}

export const DEFAULT_LIFETIMES: TokenLifetimes = {
  accessToken: 3600,
  clientCredentials: 300,
  refreshToken: 14 * 24 * 3600,
};

export const AUTH_ROUTES = {
  authorization: '/auth/authorize',
  token: '/auth/token',
  jwks: '/auth/jwks',
  userinfo: '/auth/userinfo',
  introspection: '/auth/introspect',
  revocation: '/auth/revoke',
  end_session: '/auth/logout',
  pushed_authorization_request: '/auth/par',
  registration: '/auth/reg',
  code_verification: '/auth/device',
  device_authorization: '/auth/device/auth',
  backchannel_authentication: '/auth/backchannel',
  challenge: '/auth/challenge',
  credential: '/auth/credential',
} as const;

/** SMART backend services: a client assertion lives at most five minutes. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

export const CLIENT_AUTH_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'ES256', 'ES384', 'ES512'] as const;

export interface ProviderDeps {
  readonly issuer: string;
  readonly fhirBaseUrl: string;
  readonly keys: KeyMaterial;
  readonly adapter: (name: string) => Adapter;
  readonly users: UserRows;
  readonly contexts: ContextStore;
  readonly lifetimes: TokenLifetimes;
  /**
   * Let client jwks_uri point at loopback (tests, single-machine development). Off: oidc-provider's SSRF guard applies.
   */
  readonly jwksUriAllowLoopback?: boolean;
}

/** The SMART resource scopes this request may receive from the FHIR resource server, before the grant narrows them. */
export function resourceServerScope(
  candidates: readonly (string | undefined)[],
  clientScope: string | undefined,
  grantType: string | undefined,
): string {
  const client = parseScopes(clientScope);
  const ceiling = client.resource;
  const wanted: ResourceScope[] = candidates.flatMap((c) => parseScopes(c).resource);
  const backend = grantType === 'client_credentials';
  const out = new Set<string>();
  for (const w of wanted) {
    if (backend !== (w.context === 'system')) continue;
    if (ceiling.some((c) => scopeCovers(c, w))) out.add(w.text);
  }
  // Server scopes the client is registered for; admin power needs a person (their role is checked at consent).
  for (const s of candidates.flatMap((c) => [...parseScopes(c).server])) {
    if (client.server.has(s) && !(backend && s === ADMIN_SCOPE)) out.add(s);
  }
  return [...out].join(' ');
}

export function buildProvider(d: ProviderDeps): Provider {
  const configuration: Configuration = {
    adapter: d.adapter,
    clients: [],
    jwks: { keys: d.keys.keys },
    cookies: { keys: d.keys.cookieKeys },
    scopes: [...NON_RESOURCE_SCOPES],
    claims: {
      openid: ['sub'],
      fhirUser: ['fhirUser'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    },
    conformIdTokenClaims: false,
    findAccount: accountFinder(d.users),
    features: providerFeatures(d),
    ...smartRequestRules(d),
    pkce: { required: () => true },
    responseTypes: ['code'],
    routes: AUTH_ROUTES,
    interactions: { url: (_ctx, interaction) => `/auth/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: () => d.lifetimes.accessToken,
      AuthorizationCode: 60,
      ClientCredentials: () => d.lifetimes.clientCredentials,
      IdToken: 3600,
      Interaction: 3600,
      Grant: d.lifetimes.refreshToken,
      RefreshToken: () => d.lifetimes.refreshToken,
      Session: 24 * 3600,
    },
    rotateRefreshToken: true,
    enabledJWA: {
      clientAuthSigningAlgValues: [...CLIENT_AUTH_ALGS, 'HS256'],
      idTokenSigningAlgValues: ['RS256', 'ES384'],
      requestObjectSigningAlgValues: ['RS256', 'RS384', 'ES256', 'ES384'],
      userinfoSigningAlgValues: ['RS256'],
    },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'none',
    },
    clientBasedCORS(_ctx, origin, client) {
      if (origin === 'null') return false;
      return client.redirectUris?.some((uri: string) => URL.parse(uri)?.origin === origin) ?? false;
    },
    async renderError(ctx: KoaContextWithOIDC, out) {
      ctx.type = 'html';
      ctx.body = errorPage('Authorisation error', `${out.error}: ${out.error_description ?? ''}`);
    },
  };
  if (d.jwksUriAllowLoopback) configuration.fetch = loopbackFetch;
  const provider = new Provider(d.issuer, configuration);
  provider.proxy = false; // smart-auth.ts turns it on only with trustProxy
  compareHashedClientSecrets(provider);
  return provider;
}

/** The signed-in user as oidc-provider asks for it (active users only), with the claims of the id token. */
function accountFinder(users: UserRows): NonNullable<Configuration['findAccount']> {
  return async (_ctx, sub) => {
    const user = await users.findById(sub);
    if (!user || user.status.toLowerCase() !== 'active') return undefined;
    return {
      accountId: sub,
      async claims() {
        const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
        return {
          sub,
          fhirUser: fhirUserOf(user),
          ...(name ? { name } : {}),
          ...(user.firstName ? { given_name: user.firstName } : {}),
          ...(user.lastName ? { family_name: user.lastName } : {}),
          preferred_username: user.username,
        };
      },
    };
  };
}

/** oidc-provider features: client credentials, introspection, revocation, logout pages, and the FHIR server as the one
 * resource server (its access tokens are JWTs whose scope the client's registration and grant bound). */
function providerFeatures(d: ProviderDeps): NonNullable<Configuration['features']> {
  return {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // RFC 7662 §4: only the token's own client, or a registered resource server, learns about a token.
    introspection: {
      enabled: true,
      allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId || isResourceServerClient(client),
    },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = logoutPage(form, ctx.host);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        const client = ctx.oidc.client;
        ctx.body = loggedOutPage(client ? String(client.clientName ?? client.clientId) : undefined);
      },
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => d.fhirBaseUrl,
      useGrantedResource: () => true,
      async getResourceServerInfo(ctx, resourceIndicator, client) {
        if (resourceIndicator !== d.fhirBaseUrl)
          throw new errors.InvalidTarget(`the only resource server is ${d.fhirBaseUrl}`);
        const e = ctx.oidc.entities as Record<
          string,
          { scope?: string; resources?: Record<string, string> } | undefined
        >;
        const grantType = (ctx.oidc.params?.grant_type as string | undefined) ?? undefined;
        const scope = resourceServerScope(
          [
            ctx.oidc.params?.scope as string | undefined,
            e.AuthorizationCode?.scope,
            e.RefreshToken?.scope,
            e.Grant?.resources?.[d.fhirBaseUrl],
          ],
          smartScopeOf(client),
          grantType,
        );
        return {
          scope,
          audience: d.fhirBaseUrl,
          accessTokenFormat: 'jwt',
          accessTokenTTL: grantType === 'client_credentials' ? d.lifetimes.clientCredentials : d.lifetimes.accessToken,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  };
}

/** SMART's rules on requests and tokens: `aud`, the client assertion lifetime, the launch context claims, one grant per
 * authorisation. */
function smartRequestRules(
  d: ProviderDeps,
): Pick<
  Configuration,
  | 'extraParams'
  | 'extraClientMetadata'
  | 'assertJwtClientAuthClaimsAndHeader'
  | 'extraTokenClaims'
  | 'loadExistingGrant'
> {
  return {
    extraParams: {
      launch: null,
      // SMART v2: `aud` is required and must be this FHIR server (GET and POST /authorize, PAR alike).
      aud(_ctx, value) {
        if (typeof value !== 'string' || value.replace(/\/+$/, '') !== d.fhirBaseUrl)
          throw new errors.InvalidRequest(`aud must be the FHIR base URL ${d.fhirBaseUrl}`);
      },
    },
    extraClientMetadata: { properties: ['smart_scope', 'resource_server', 'registration_access_token_hash'] },
    // SMART backend services: the client assertion expires at most five minutes ahead.
    async assertJwtClientAuthClaimsAndHeader(_ctx, claims) {
      const now = Math.floor(Date.now() / 1000);
      if (typeof claims.exp !== 'number' || claims.exp - now > MAX_ASSERTION_LIFETIME_SECONDS + 15)
        throw new errors.InvalidClientAuth(
          `the client_assertion must expire within ${MAX_ASSERTION_LIFETIME_SECONDS / 60} minutes (exp)`,
        );
    },
    async extraTokenClaims(_ctx, token) {
      const grantId = (token as { grantId?: string }).grantId;
      if (!grantId) return undefined;
      const c = await d.contexts.findGrantContext(grantId);
      return {
        grant_id: grantId,
        ...(c?.patient ? { patient: c.patient } : {}),
        ...(c?.encounter ? { encounter: c.encounter } : {}),
        ...(c?.fhirUser ? { fhirUser: c.fhirUser } : {}),
      };
    },
    // Every authorisation asks for consent anew: a grant carries one launch context (patient), never reused
    // across authorisations; only the grant just consented to in this flow is loaded.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId;
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
  };
}

/** Client jwks_uri on loopback allowed (tests, one-machine development): oidc-provider's SSRF guard skipped there. */
const loopbackFetch: NonNullable<Configuration['fetch']> = (url, options) => {
  const host = new URL(String(url)).hostname;
  const o = options as RequestInit & { dispatcher?: unknown };
  if (host === '127.0.0.1' || host === 'localhost' || host === '[::1]') delete o.dispatcher;
  return fetch(url, o);
};

/** Client secrets are stored hashed (secret-hash.ts): compare the presented one against the hash. */
function compareHashedClientSecrets(provider: Provider): void {
  const clientPrototype = provider.Client.prototype as unknown as {
    clientSecret?: string;
    compareClientSecret(actual: string): boolean;
  };
  clientPrototype.compareClientSecret = function (this: { clientSecret?: string }, actual: string) {
    return secretMatches(this.clientSecret, actual);
  };
}
