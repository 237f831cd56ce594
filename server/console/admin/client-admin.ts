/**
 * The administrator's client-application tasks: list, register, revoke. Clients live in the authorisation server's
 * key-value store (Redis with REDIS_URL, else embedded) and are read at every request, so a change applies at once:
 * a revoked client gets no new token (access tokens already issued live until they expire, 5 min to 1 h).
 */
import type { Redis } from 'ioredis';
import { badRequest, fhirError, notFound } from '../../fhir/errors.js';
import {
  ClientRegistrationError,
  publicMetadata,
  type ClientRegistration,
  type RegisteredClient,
} from '../../auth/clients.js';
import { redisAdapterFactory } from '../../auth/redis-adapter.js';
import type { RefreshTokenRows } from '../../auth/refresh-token-rows.js';
import type { AdminClient } from '../admin-api.js';
import { CONSOLE_CLIENT_ID } from '../console-client.js';

export interface ClientAdmin {
  list(): Promise<AdminClient[]>;
  /** 409 when the client_id is taken; the answer carries the client_secret (secret methods) once. */
  register(registration: ClientRegistration): Promise<RegisteredClient>;
  revoke(clientId: string): Promise<void>;
}

/** The Client model of the adapter never touches refresh tokens. */
const noRefreshRows: RefreshTokenRows = {
  insert: async () => undefined,
  isActive: async () => false,
  revoke: async () => undefined,
  revokeByHash: async () => undefined,
  revokeAllForUser: async () => 0,
};

export function kindOf(m: Record<string, unknown>): AdminClient['kind'] {
  if (m.client_id === CONSOLE_CLIENT_ID) return 'console';
  const grants = Array.isArray(m.grant_types) ? (m.grant_types as string[]) : [];
  if (grants.includes('client_credentials')) return 'backend service';
  return m.token_endpoint_auth_method === 'none' ? 'app (public, PKCE)' : 'app (confidential)';
}

export function clientAdmin(o: {
  kv: Redis;
  prefix: string;
  registerClient: (registration: ClientRegistration) => Promise<RegisteredClient>;
}): ClientAdmin {
  const clients = () => redisAdapterFactory({ redis: o.kv, prefix: o.prefix, refreshTokens: noRefreshRows })('Client');
  const prefix = `${o.prefix}Client:`;
  return {
    async list() {
      const ids: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await o.kv.scan(cursor, 'MATCH', `${prefix}*`);
        cursor = next;
        ids.push(...keys.map((k) => k.slice(prefix.length)));
      } while (cursor !== '0');
      const out: AdminClient[] = [];
      for (const id of [...new Set(ids)].sort()) {
        const found = await clients().find(id);
        if (!found) continue;
        const m = publicMetadata(found);
        out.push({
          clientId: id,
          name: String(m.client_name ?? ''),
          kind: kindOf(m),
          authMethod: String(m.token_endpoint_auth_method ?? ''),
          scope: [m.scope, m.smart_scope].filter(Boolean).join(' '),
          redirectUris: Array.isArray(m.redirect_uris) ? (m.redirect_uris as string[]) : [],
        });
      }
      return out;
    },
    async register(registration) {
      if (!registration || typeof registration !== 'object' || Array.isArray(registration))
        throw badRequest('The registration must be a JSON object');
      if (registration.client_id === CONSOLE_CLIENT_ID)
        throw fhirError(409, 'duplicate', `${CONSOLE_CLIENT_ID} is the console's own client`);
      if (registration.client_id && (await clients().find(registration.client_id)))
        throw fhirError(409, 'duplicate', `A client ${registration.client_id} is already registered; revoke it first`);
      try {
        return await o.registerClient(registration);
      } catch (e) {
        if (e instanceof ClientRegistrationError) throw badRequest(e.message);
        throw e;
      }
    },
    async revoke(clientId) {
      if (clientId === CONSOLE_CLIENT_ID)
        throw fhirError(409, 'business-rule', 'The console client cannot be revoked from the console itself');
      const adapter = clients();
      if (!(await adapter.find(clientId))) throw notFound(`Client ${clientId} not found`);
      await adapter.destroy(clientId);
    },
  };
}
