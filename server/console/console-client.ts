/**
 * The console's OAuth client: public (PKCE, no secret), redirect `<origin>/console/`, at most what an
 * administrator's own token may hold — including the admin scope, which no other client is registered for. The server
 * re-registers it at each start (an idempotent upsert in the
 * authorisation server's client store), so a changed BASE_URL is followed without manual steps.
 */
import type { ClientRegistration } from '../auth/clients.js';

export const CONSOLE_CLIENT_ID = 'nilecare-console';
export const CONSOLE_SCOPE = 'openid fhirUser profile user/*.cruds user/AuditEvent.rs nilecare-admin';

export function consoleClient(origin: string): ClientRegistration {
  return {
    client_id: CONSOLE_CLIENT_ID,
    client_name: 'NileCare operations console',
    redirect_uris: [`${origin}/console/`],
    token_endpoint_auth_method: 'none',
    scope: CONSOLE_SCOPE,
  };
}
