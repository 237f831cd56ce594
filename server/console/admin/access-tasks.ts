/**
 * The admin tasks on users, client applications and EHR launches of the running server (its state and its SMART
 * authorisation server), each change logged; 503 when the server has no authorisation server.
 */
import { badRequest, fhirError } from '../../fhir/errors.js';
import type { Config } from '../../config.js';
import type { ServerState } from '../../state/open-state.js';
import type { ClientRegistration, RegisteredClient } from '../../auth/clients.js';
import type { AdminTasks } from '../admin-api.js';
import { userAdmin, type UserAdmin } from './user-admin.js';
import { clientAdmin, type ClientAdmin } from './client-admin.js';

export interface AuthPorts {
  state: ServerState;
  registerClient(registration: ClientRegistration): Promise<RegisteredClient>;
  createLaunch(context: { patient: string; encounter?: string; createdBy: string }): Promise<string>;
  /** Key prefix of the clients in the key-value store (default nilecare:auth:). */
  redisPrefix?: string;
}

export type Audit = (what: string, detail: Record<string, unknown>) => void;

export type AccessTasks = Pick<
  AdminTasks,
  'users' | 'addUser' | 'changeUser' | 'clients' | 'registerClient' | 'revokeClient' | 'createLaunch'
>;

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** A launch context as typed by an administrator: ids checked (400). */
export function launchContext(c: { patient?: unknown; encounter?: unknown }) {
  if (typeof c?.patient !== 'string' || !FHIR_ID.test(c.patient)) throw badRequest('patient must be a Patient id');
  if (c.encounter !== undefined && (typeof c.encounter !== 'string' || !FHIR_ID.test(c.encounter)))
    throw badRequest('encounter must be an Encounter id');
  return { patient: c.patient, ...(c.encounter ? { encounter: c.encounter } : {}), createdBy: 'console' };
}

export function accessTasks(config: Config, auth: AuthPorts | undefined, audit: Audit): AccessTasks {
  let users: Promise<UserAdmin> | undefined;
  let clients: Promise<ClientAdmin> | undefined;
  const needAuth = () => {
    if (auth) return auth;
    throw fhirError(
      503,
      'not-supported',
      config.auth.mode === 'disabled'
        ? 'Users and client applications need SMART sign-in (this server runs with NILECARE_AUTH=disabled)'
        : 'Users and client applications are unavailable: the authorisation server is not running',
    );
  };
  const userTasks = () => {
    const a = needAuth();
    return (users ??= a.state.authDb().then((db) => userAdmin({ db, keysDir: config.auth.keysDir })));
  };
  const clientTasks = () => {
    const a = needAuth();
    return (clients ??= a.state
      .kv()
      .then((kv) =>
        clientAdmin({ kv, prefix: a.redisPrefix ?? 'nilecare:auth:', registerClient: (r) => a.registerClient(r) }),
      ));
  };
  return {
    users: async () => (await userTasks()).list(),
    async addUser(user) {
      const added = await (await userTasks()).add(user);
      audit('user added', { user: added.username, role: added.role });
      return added;
    },
    async changeUser(id, change) {
      const changed = await (await userTasks()).change(id, change);
      audit('user changed', {
        user: changed.username,
        changed: Object.keys(change).filter((k) => change[k as keyof typeof change] !== undefined),
      });
      return changed;
    },
    clients: async () => (await clientTasks()).list(),
    async registerClient(registration) {
      const registered = await (await clientTasks()).register(registration as unknown as ClientRegistration);
      audit('client registered', { client: registered.client_id });
      return { ...registered };
    },
    async revokeClient(clientId) {
      await (await clientTasks()).revoke(clientId);
      audit('client revoked', { client: clientId });
    },
    async createLaunch(context) {
      const launch = await needAuth().createLaunch(launchContext(context));
      audit('launch created', { patient: context.patient });
      return { launch };
    },
  };
}
