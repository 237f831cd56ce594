/**
 * SMART client registration: public apps (PKCE, no secret), confidential apps (secret or private_key_jwt) and
 * backend services (client_credentials + private_key_jwt with a JWKS or a JWKS URL). Stored through the
 * oidc-provider adapter (Redis), so every node sees them at once.
 *
 * Secrets are not kept: the client secret and the RFC 7592 registration access token are stored as SHA-256
 * hashes (both are 256-bit random values, so a fast hash is enough) and shown once, in the registration answer.
 * An existing client is replaced only when the caller says so (an administrator, or the client itself through
 * its registration access token: registration-routes.ts).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { hashSecret } from './secret-hash.js';
import type Provider from 'oidc-provider';
import type { Adapter } from 'oidc-provider';
import { isNonResourceScope, isServerScope, parseResourceScope } from './scopes.js';

export const CLIENT_AUTH_METHODS = ['none', 'private_key_jwt', 'client_secret_basic', 'client_secret_post'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

export interface ClientRegistration {
  readonly client_id?: string;
  readonly client_name: string;
  readonly redirect_uris?: readonly string[];
  readonly token_endpoint_auth_method: ClientAuthMethod;
  /** The most this client may ever be granted (SMART scopes, wildcards allowed), plus OIDC/launch scopes. */
  readonly scope: string;
  readonly grant_types?: readonly string[];
  readonly jwks?: { keys: readonly Record<string, unknown>[] };
  readonly jwks_uri?: string;
  /** A resource server may introspect every token (RFC 7662); other clients only their own. */
  readonly resource_server?: boolean;
}

export interface RegisteredClient {
  readonly client_id: string;
  readonly client_secret?: string;
  /** RFC 7592: lets the client read, update or delete its own registration; shown once. */
  readonly registration_access_token: string;
  /** The stored metadata without secrets or their hashes. */
  readonly metadata: Record<string, unknown>;
}

/** Stored metadata properties that hold hashes of secrets: never returned. */
export const SECRET_PROPERTIES = ['client_secret', 'registration_access_token_hash'] as const;

export class ClientExistsError extends Error {
  override readonly name = 'ClientExistsError';
}

export class ClientRegistrationError extends Error {
  override readonly name = 'ClientRegistrationError';
}

export function clientMetadata(reg: ClientRegistration): {
  clientId: string;
  secret?: string;
  metadata: Record<string, unknown>;
} {
  if (!reg || typeof reg !== 'object') throw new ClientRegistrationError('the registration must be a JSON object');
  if (!(CLIENT_AUTH_METHODS as readonly string[]).includes(reg.token_endpoint_auth_method)) {
    throw new ClientRegistrationError(`token_endpoint_auth_method must be one of ${CLIENT_AUTH_METHODS.join(', ')}`);
  }
  if (typeof reg.client_name !== 'string' || !reg.client_name.trim())
    throw new ClientRegistrationError('client_name is required');
  if (typeof reg.scope !== 'string' || !reg.scope.trim())
    throw new ClientRegistrationError('scope is required (the most this client may be granted)');
  const scopes = reg.scope.split(/\s+/).filter(Boolean);
  const bad = scopes.filter((s) => !isNonResourceScope(s) && !isServerScope(s) && !parseResourceScope(s));
  if (bad.length) throw new ClientRegistrationError(`unrecognised scopes: ${bad.join(' ')}`);
  const backend = reg.grant_types ? reg.grant_types.includes('client_credentials') : !reg.redirect_uris?.length;
  const grantTypes = reg.grant_types
    ? [...reg.grant_types]
    : backend
      ? ['client_credentials']
      : ['authorization_code', 'refresh_token'];
  if (scopes.some((s) => s.startsWith('system/')) && reg.token_endpoint_auth_method === 'none') {
    throw new ClientRegistrationError('system/ scopes need an authenticated client (private_key_jwt or a secret)');
  }
  if (reg.token_endpoint_auth_method === 'private_key_jwt' && !reg.jwks && !reg.jwks_uri) {
    throw new ClientRegistrationError('private_key_jwt needs jwks or jwks_uri');
  }
  if (grantTypes.includes('authorization_code') && !reg.redirect_uris?.length)
    throw new ClientRegistrationError('redirect_uris is required');
  const clientId = reg.client_id ?? randomUUID();
  if (!/^[A-Za-z0-9._~-]{1,100}$/.test(clientId))
    throw new ClientRegistrationError('client_id may contain letters, digits and . _ ~ - only');
  const secret = reg.token_endpoint_auth_method.startsWith('client_secret')
    ? randomBytes(32).toString('base64url')
    : undefined;
  const metadata: Record<string, unknown> = {
    client_id: clientId,
    client_name: reg.client_name.trim(),
    token_endpoint_auth_method: reg.token_endpoint_auth_method,
    grant_types: grantTypes,
    response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
    redirect_uris: reg.redirect_uris ? [...reg.redirect_uris] : [],
    // oidc-provider accepts only its own (OIDC / launch) scopes in `scope`; the SMART ceiling goes in smart_scope.
    ...(scopes.some((x) => isNonResourceScope(x))
      ? { scope: scopes.filter((x) => isNonResourceScope(x)).join(' ') }
      : {}),
    smart_scope: scopes.filter((x) => !isNonResourceScope(x)).join(' '),
    ...(secret ? { client_secret: hashSecret(secret) } : {}),
    ...(reg.jwks ? { jwks: reg.jwks } : {}),
    ...(reg.jwks_uri ? { jwks_uri: reg.jwks_uri } : {}),
    ...(reg.resource_server === true ? { resource_server: true } : {}),
  };
  return { clientId, ...(secret ? { secret } : {}), metadata };
}

export async function registerClient(
  provider: Provider,
  adapter: Adapter,
  reg: ClientRegistration,
  options: { replace: boolean },
): Promise<RegisteredClient> {
  const { clientId, secret, metadata } = clientMetadata(reg);
  try {
    await provider.Client.validate(metadata as never);
  } catch (e) {
    throw new ClientRegistrationError(
      `invalid client metadata: ${(e as { error_description?: string }).error_description ?? (e as Error).message}`,
    );
  }
  if (!options.replace && (await adapter.find(clientId)))
    throw new ClientExistsError(`client_id ${clientId} is already registered`);
  const registrationAccessToken = randomBytes(32).toString('base64url');
  await adapter.upsert(
    clientId,
    { ...metadata, registration_access_token_hash: hashSecret(registrationAccessToken) },
    0,
  );
  return {
    client_id: clientId,
    ...(secret ? { client_secret: secret } : {}),
    registration_access_token: registrationAccessToken,
    metadata: publicMetadata(metadata),
  };
}

/** Client metadata without secrets or their hashes. */
export function publicMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  const out = { ...metadata };
  for (const k of SECRET_PROPERTIES) delete out[k];
  return out;
}

/** The SMART resource-scope ceiling of a registered client (oidc-provider Client instance or metadata). */
export function smartScopeOf(client: unknown): string {
  const c = client as { smartScope?: unknown; smart_scope?: unknown } | undefined;
  const v = c?.smartScope ?? c?.smart_scope;
  return typeof v === 'string' ? v : '';
}

/** Whether a registered client is a resource server (may introspect any token). */
export function isResourceServerClient(client: unknown): boolean {
  const c = client as { resourceServer?: unknown; resource_server?: unknown } | undefined;
  return (c?.resourceServer ?? c?.resource_server) === true;
}
