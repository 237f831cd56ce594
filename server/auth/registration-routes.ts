/**
 * Client registration over HTTP:
 * - POST /auth/register: administrators only (admin scope + admin role, admin-access.ts); may replace an existing
 *   client. Answers the client id, a secret for confidential clients and an RFC 7592 registration access token,
 *   each shown once (only hashes are stored).
 * - GET | PUT | DELETE /auth/register/:client_id (RFC 7592) with `Authorization: Bearer <registration access
 *   token>`: the client reads, updates or deletes its own registration. An update can never widen what the client
 *   may be granted (scopes, resource server). A wrong token and an unknown client answer the same 401.
 */
import express, { type Router } from 'express';
import type Provider from 'oidc-provider';
import type { Adapter } from 'oidc-provider';
import type { AccessAuditEvent } from './audit-event.js';
import {
  ClientExistsError,
  ClientRegistrationError,
  clientMetadata,
  publicMetadata,
  registerClient,
  type ClientRegistration,
} from './clients.js';
import { OAuthHttpError, sendOAuthError } from './oauth-json.js';
import type { SmartAccessPolicy } from './scope-policy.js';
import { isNonResourceScope, parseScopes, scopeCovers } from './scopes.js';
import { secretMatches } from './secret-hash.js';

export interface RegistrationDeps {
  readonly issuer: string;
  readonly provider: () => Provider;
  readonly clients: () => Adapter;
  readonly bearerPolicy: (req: express.Request) => Promise<SmartAccessPolicy>;
  readonly isAdmin: (policy: SmartAccessPolicy) => Promise<boolean>;
  readonly audit: (e: AccessAuditEvent) => Promise<void>;
}

export function registrationRouter(d: RegistrationDeps): Router {
  const r = express.Router();
  const json = express.json({ limit: '64kb' });
  const clientUri = (id: string) => `${d.issuer}/auth/register/${encodeURIComponent(id)}`;
  const answer = (status: number, registered: { client_id: string; metadata: Record<string, unknown> }) => ({
    ...registered.metadata,
    client_id: registered.client_id,
    registration_client_uri: clientUri(registered.client_id),
    status,
  });

  r.post('/auth/register', json, async (req, res) => {
    try {
      const policy = await d.bearerPolicy(req);
      if (!(await d.isAdmin(policy)))
        throw new OAuthHttpError(403, 'insufficient_scope', 'registering clients needs the admin scope and role');
      const registered = await registerClient(d.provider(), d.clients(), req.body as ClientRegistration, {
        replace: true,
      });
      await d.audit({
        action: 'register-client',
        outcome: 'success',
        policy,
        detail: registered.client_id,
        ...ip(req),
      });
      const { status, ...body } = answer(201, registered);
      res.status(status).json({
        ...body,
        ...(registered.client_secret ? { client_secret: registered.client_secret } : {}),
        registration_access_token: registered.registration_access_token,
      });
    } catch (e) {
      sendRegistrationError(res, e);
    }
  });

  /** The stored registration of :client_id when the bearer token is its registration access token. */
  async function ownRegistration(req: express.Request): Promise<{ id: string; stored: Record<string, unknown> }> {
    const id = String(req.params['client_id'] ?? '');
    const m = /^Bearer +(\S+) *$/i.exec(req.get('authorization') ?? '');
    const stored = id ? ((await d.clients().find(id)) as Record<string, unknown> | undefined) : undefined;
    if (!m || !stored || !secretMatches(stored['registration_access_token_hash'], m[1]))
      throw new OAuthHttpError(401, 'invalid_token', 'the registration access token is not valid for this client');
    return { id, stored };
  }

  r.get('/auth/register/:client_id', async (req, res) => {
    try {
      const { id, stored } = await ownRegistration(req);
      res.set('Cache-Control', 'no-store').json({ ...publicMetadata(stored), registration_client_uri: clientUri(id) });
    } catch (e) {
      sendRegistrationError(res, e);
    }
  });

  r.put('/auth/register/:client_id', json, async (req, res) => {
    try {
      const { id, stored } = await ownRegistration(req);
      const reg = (req.body ?? {}) as ClientRegistration;
      if (reg.client_id !== undefined && reg.client_id !== id)
        throw new ClientRegistrationError('client_id in the body must be the client being updated');
      const next = clientMetadata({ ...reg, client_id: id });
      assertNotWider(stored, next.metadata);
      const keepSecret = typeof stored['client_secret'] === 'string' && next.secret !== undefined;
      const metadata = {
        ...next.metadata,
        ...(keepSecret ? { client_secret: stored['client_secret'] } : {}),
        registration_access_token_hash: stored['registration_access_token_hash'],
      };
      try {
        await d.provider().Client.validate(metadata as never);
      } catch (e) {
        throw new ClientRegistrationError(
          `invalid client metadata: ${(e as { error_description?: string }).error_description ?? (e as Error).message}`,
        );
      }
      await d.clients().upsert(id, metadata as never, 0);
      await d.audit({ action: 'update-client', outcome: 'success', who: `client:${id}`, detail: id, ...ip(req) });
      res.json({
        ...publicMetadata(metadata),
        registration_client_uri: clientUri(id),
        ...(next.secret && !keepSecret ? { client_secret: next.secret } : {}),
      });
    } catch (e) {
      sendRegistrationError(res, e);
    }
  });

  r.delete('/auth/register/:client_id', async (req, res) => {
    try {
      const { id } = await ownRegistration(req);
      await d.clients().destroy(id);
      await d.audit({ action: 'delete-client', outcome: 'success', who: `client:${id}`, detail: id, ...ip(req) });
      res.status(204).end();
    } catch (e) {
      sendRegistrationError(res, e);
    }
  });
  return r;
}

/** An update through the registration access token keeps within what the administrator registered. */
function assertNotWider(stored: Record<string, unknown>, next: Record<string, unknown>): void {
  const oldScopes = parseScopes(`${String(stored['scope'] ?? '')} ${String(stored['smart_scope'] ?? '')}`);
  const newScopes = parseScopes(`${String(next['scope'] ?? '')} ${String(next['smart_scope'] ?? '')}`);
  const wider =
    [...newScopes.other].some((s) => isNonResourceScope(s) && !oldScopes.other.has(s)) ||
    [...newScopes.server].some((s) => !oldScopes.server.has(s)) ||
    newScopes.resource.some((w) => !oldScopes.resource.some((c) => scopeCovers(c, w))) ||
    (next['resource_server'] === true && stored['resource_server'] !== true) ||
    ((next['grant_types'] as string[]).includes('client_credentials') &&
      !((stored['grant_types'] as string[] | undefined) ?? []).includes('client_credentials'));
  if (wider)
    throw new OAuthHttpError(
      403,
      'insufficient_scope',
      'a client cannot widen its own registration (scopes, grant types, resource server): ask an administrator',
    );
}

function sendRegistrationError(res: express.Response, e: unknown): void {
  if (e instanceof ClientRegistrationError) {
    res.status(400).json({ error: 'invalid_client_metadata', error_description: e.message });
    return;
  }
  if (e instanceof ClientExistsError) {
    res.status(400).json({ error: 'invalid_client_metadata', error_description: e.message });
    return;
  }
  sendOAuthError(res, e);
}

const ip = (req: express.Request) => (req.ip ? { ip: req.ip } : {});
