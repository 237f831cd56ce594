/**
 * The administrator's tasks through a running server's admin API (/console/api), authenticated with the local
 * admin token the server wrote beside its PGlite folder (server/console/admin/local-admin-credential.ts). Used by
 * the commands when the server holds the folder, so the change is made by the process that owns the data and
 * applies at once. A refused call is one line with the server's own words (OperationOutcome diagnostics).
 */
import type { AdminTasks } from '../../console/admin-api.js';
import type { LocalAdminFile } from '../../console/admin/local-admin-credential.js';
import { UnreachableError } from '../cli-kit.js';

/** The server answered with an error status: its message, and the status for callers that care. */
export class AdminApiError extends Error {
  override readonly name = 'AdminApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function messageOf(status: number, body: unknown): string {
  const issue = (body as { issue?: Array<{ diagnostics?: string }> } | undefined)?.issue?.[0];
  return issue?.diagnostics ?? (typeof body === 'string' && body ? body.slice(0, 200) : `HTTP ${status}`);
}

export function remoteAdmin(server: LocalAdminFile): AdminTasks {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${server.url}/console/api/${path}`, {
        method,
        headers: {
          authorization: `Bearer ${server.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (e) {
      throw new UnreachableError(
        `the server (pid ${server.pid}) holds the data folder but does not answer at ${server.url}: ${
          (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message
        }`,
      );
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    if (res.status === 401 || res.status === 403)
      throw new AdminApiError(
        res.status,
        `the server at ${server.url} refused the local admin token (${messageOf(res.status, parsed)}); ` +
          'was it restarted meanwhile? Run the command again',
      );
    if (!res.ok) throw new AdminApiError(res.status, messageOf(res.status, parsed));
    return parsed as T;
  };
  const name = encodeURIComponent;
  return {
    users: () => call('GET', 'users'),
    addUser: (user) => call('POST', 'users', user),
    changeUser: (id, change) => call('POST', `users/${name(id)}`, change),
    clients: () => call('GET', 'clients'),
    registerClient: (registration) => call('POST', 'clients', registration),
    revokeClient: async (clientId) => void (await call('DELETE', `clients/${name(clientId)}`)),
    hl7Endpoints: () => call('GET', 'hl7/endpoints'),
    addHl7Endpoint: (endpoint) => call('POST', 'hl7/endpoints', endpoint),
    setHl7EndpointActive: (endpointName, active) => call('POST', `hl7/endpoints/${name(endpointName)}`, { active }),
    setHl7EndpointSettings: (endpointName, settings) =>
      call('POST', `hl7/endpoints/${name(endpointName)}`, settings as Record<string, unknown>),
    removeHl7Endpoint: async (endpointName) => void (await call('DELETE', `hl7/endpoints/${name(endpointName)}`)),
    createLaunch: (context) => call('POST', 'launches', context),
  };
}
