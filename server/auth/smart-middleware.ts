/**
 * The SMART layer inside oidc-provider's Koa app:
 * - /authorize: `aud` is required and must be the FHIR base (SMART v2); `offline_access` keeps working (oidc-provider
 * drops it unless
 *   prompt=consent, and we always ask for consent anyway).
 * - /token: adds the launch context (patient, encounter, fhirContext, need_patient_banner) and the full
 *   granted scope to the token response.
 * - /introspect and /revoke: oidc-provider refuses JWT access tokens; after it has authenticated the client,
 *   we answer for them ourselves (RFC 7662 / RFC 7009).
 */
import { decodeJwt } from 'jose';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AccessTokenVerifier } from './access-token.js';
import type { ContextStore } from './context-store.js';
import { AUTH_ROUTES } from './oidc-config.js';
import { errorPage } from './html.js';
import { isNonResourceScope } from './scopes.js';
import { isResourceServerClient } from './clients.js';

export interface SmartMiddlewareDeps {
  readonly fhirBaseUrl: string;
  readonly issuer: string;
  readonly contexts: ContextStore;
  readonly verifier: AccessTokenVerifier;
  readonly onEvent: (e: {
    action: 'token' | 'introspect' | 'revoke';
    ok: boolean;
    clientId?: string;
    userId?: string;
    detail?: string;
    ip?: string;
  }) => void;
}

const trimSlash = (s: string) => s.replace(/\/+$/, '');

export function installSmartMiddleware(provider: Provider, d: SmartMiddlewareDeps): void {
  provider.use(async (ctx, next) => {
    const path = ctx.path;
    if (path === AUTH_ROUTES.authorization && ctx.method === 'GET') {
      const q = { ...ctx.query } as Record<string, string | string[] | undefined>;
      const aud = q.aud;
      if (typeof aud !== 'string' || trimSlash(aud) !== trimSlash(d.fhirBaseUrl)) {
        ctx.status = 400;
        ctx.type = 'html';
        ctx.body = errorPage('Authorisation error', `invalid_request: aud must be the FHIR base URL ${d.fhirBaseUrl}`);
        return;
      }
      const scope = typeof q.scope === 'string' ? q.scope.split(' ') : [];
      if (scope.includes('offline_access')) {
        const prompt = new Set(typeof q.prompt === 'string' ? q.prompt.split(' ').filter(Boolean) : []);
        prompt.delete('none');
        prompt.add('consent');
        ctx.query = { ...q, prompt: [...prompt].join(' ') };
      }
    }
    await next();
    if ((path === AUTH_ROUTES.token || path === AUTH_ROUTES.introspection) && ctx.method === 'POST') {
      // RFC 6749 §5.1: token responses are never cached (HTTP/1.0 caches read Pragma).
      ctx.set('Cache-Control', 'no-store');
      ctx.set('Pragma', 'no-cache');
    }
    const c = ctx as KoaContextWithOIDC;
    if (path === AUTH_ROUTES.token && ctx.method === 'POST') await afterToken(c, d);
    else if ((path === AUTH_ROUTES.introspection || path === AUTH_ROUTES.revocation) && ctx.method === 'POST')
      await afterStructured(c, d);
  });
}

async function afterToken(ctx: KoaContextWithOIDC, d: SmartMiddlewareDeps): Promise<void> {
  const body = ctx.body as Record<string, unknown> | undefined;
  const clientId = ctx.oidc?.client?.clientId;
  if (ctx.status !== 200 || !body || typeof body.access_token !== 'string') {
    const err =
      body && typeof body.error === 'string'
        ? `${body.error}: ${String(body.error_description ?? '')}`
        : `HTTP ${ctx.status}`;
    d.onEvent({ action: 'token', ok: false, ...(clientId ? { clientId } : {}), detail: err, ip: ctx.ip });
    return;
  }
  if (ctx.oidc?.params?.grant_type === 'client_credentials' && !body.scope) {
    // Nothing asked for is within the client's registration: answer invalid_scope rather than an empty token.
    ctx.status = 400;
    ctx.body = { error: 'invalid_scope', error_description: 'none of the requested scopes is allowed for this client' };
    d.onEvent({ action: 'token', ok: false, ...(clientId ? { clientId } : {}), detail: 'invalid_scope', ip: ctx.ip });
    return;
  }
  let claims: Record<string, unknown> = {};
  try {
    claims = decodeJwt(body.access_token);
  } catch {
    /* opaque token: nothing to add */
  }
  const grantId = typeof claims.grant_id === 'string' ? claims.grant_id : undefined;
  const gc = grantId ? await d.contexts.findGrantContext(grantId) : undefined;
  if (gc) {
    const resourcePart = typeof body.scope === 'string' ? body.scope.split(' ').filter(Boolean) : [];
    const other = gc.scope
      .split(' ')
      .filter((s) => isNonResourceScope(s))
      .filter((s) => s !== 'offline_access' || typeof body.refresh_token === 'string');
    body.scope = [...new Set([...other, ...resourcePart])].join(' ');
    if (gc.patient) body.patient = gc.patient;
    if (gc.encounter) body.encounter = gc.encounter;
    if (gc.fhirContext && gc.fhirContext.length > 0) body.fhirContext = gc.fhirContext;
    body.need_patient_banner = gc.needPatientBanner;
    if (gc.fhirUser && !body.id_token) body.fhirUser = gc.fhirUser;
  }
  d.onEvent({
    action: 'token',
    ok: true,
    ...(clientId ? { clientId } : {}),
    ...(typeof claims.sub === 'string' && claims.sub !== clientId ? { userId: claims.sub } : {}),
    detail: `grant_type=${String(ctx.oidc?.params?.grant_type ?? '')} scope=${String(body.scope ?? '')}`,
    ip: ctx.ip,
  });
}

async function afterStructured(ctx: KoaContextWithOIDC, d: SmartMiddlewareDeps): Promise<void> {
  const body = ctx.body as Record<string, unknown> | undefined;
  const introspect = ctx.path === AUTH_ROUTES.introspection;
  const clientId = ctx.oidc?.client?.clientId;
  if (!(ctx.status === 400 && body?.error === 'unsupported_token_type' && clientId)) {
    if (ctx.oidc?.route && clientId)
      d.onEvent({ action: introspect ? 'introspect' : 'revoke', ok: ctx.status === 200, clientId, ip: ctx.ip });
    return;
  }
  const token = String(ctx.oidc.params?.token ?? '');
  const check = await d.verifier.verify(token);
  ctx.set('Cache-Control', 'no-store');
  ctx.status = 200;
  if (introspect) {
    let active = false;
    // RFC 7662 §4: only the token's own client or a registered resource server may learn about it.
    const entitled = check.ok && (check.claims.client_id === clientId || isResourceServerClient(ctx.oidc.client));
    if (check.ok && entitled) {
      active = await d.contexts.tokenStillValid(String(check.claims.jti), check.claims.grant_id);
    }
    if (!check.ok || !active) {
      ctx.body = { active: false };
    } else {
      const c = check.claims;
      ctx.body = {
        active: true,
        client_id: c.client_id,
        scope: c.scope,
        exp: c.exp,
        iat: c.iat,
        iss: c.iss,
        sub: c.sub,
        aud: c.aud,
        token_type: 'Bearer',
        ...(c.patient ? { patient: c.patient } : {}),
        ...(c.encounter ? { encounter: c.encounter } : {}),
        ...(c.fhirUser ? { fhirUser: c.fhirUser } : {}),
      };
    }
    d.onEvent({
      action: 'introspect',
      ok: true,
      clientId,
      ip: ctx.ip,
      detail: `active=${String((ctx.body as { active: boolean }).active)}`,
    });
    return;
  }
  // Revocation: a token that does not verify, or belongs to another client, is answered 200 and left alone (RFC 7009
  // §2.2).
  if (check.ok && check.claims.client_id === clientId && check.claims.jti && check.claims.exp) {
    await d.contexts.revokeJti(check.claims.jti, check.claims.exp);
    d.onEvent({ action: 'revoke', ok: true, clientId, ip: ctx.ip, detail: 'access token revoked' });
  } else {
    d.onEvent({
      action: 'revoke',
      ok: false,
      clientId,
      ip: ctx.ip,
      detail: check.ok ? 'token of another client' : check.reason,
    });
  }
  ctx.body = '';
}
