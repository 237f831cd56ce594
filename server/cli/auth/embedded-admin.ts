/**
 * The administrator's tasks on the embedded default (users, clients and HL7 endpoints in the server's PGlite folder),
 * for `npm run auth` and `npm run hl7:endpoints`. The folder admits one process (folder-lock.ts), and its lock tells
 * which way to go:
 * - the folder is free (no server running): the command opens it itself — the same state, migrations and admin code
 *   as the server (server/state, server/console/admin) — makes the change and closes it;
 * - a live process holds it (the server): the command goes through that server's admin API with the local admin
 *   token it wrote beside the folder (local-admin-credential.ts), so the change applies at once.
 * With a PostgreSQL store (no lock: several nodes share it) the command opens that database directly.
 */
import { resolve } from 'node:path';
import { pino } from 'pino';
import type { Config } from '../../config.js';
import type { AdminTasks } from '../../console/admin-api.js';
import { FolderLockedError } from '../../store/postgres/folder-lock.js';
import { openConfiguredStore } from '../../open-store.js';
import { openServerState, type ServerState } from '../../state/open-state.js';
import type { ResourceStore } from '../../store/resource-store.js';
import { createSmartAuth, type SmartAuth } from '../../auth/smart-auth.js';
import { userAdmin } from '../../console/admin/user-admin.js';
import { clientAdmin } from '../../console/admin/client-admin.js';
import { hl7EndpointAdmin } from '../../console/admin/hl7-endpoint-admin.js';
import { embeddedHl7EndpointStore } from '../../hl7-admin-wiring.js';
import { launchContext } from '../../console/admin/access-tasks.js';
import { readLocalAdminFile } from '../../console/admin/local-admin-credential.js';
import { remoteAdmin } from './remote-admin.js';
import { UnreachableError } from '../cli-kit.js';
import type { ClientRegistration } from '../../auth/clients.js';

export interface EmbeddedAdmin {
  tasks: AdminTasks;
  /** `the running server at URL (pid N)` or `FOLDER (no server running)`. */
  where: string;
  running: boolean;
  close(): Promise<void>;
}

function throughServer(folder: string, error: FolderLockedError): EmbeddedAdmin {
  const file = readLocalAdminFile(folder);
  if (!file || (error.holder && file.pid !== error.holder.pid))
    throw new UnreachableError(
      `${error.holder ? `process ${error.holder.pid}` : 'another process'} holds ${folder} and published no admin ` +
        `token for this command (${folder}.admin.json): if it is a NileCare server of an older version, restart it ` +
        `or use the console's Admin page; if it is another command, wait for it to finish`,
    );
  return {
    tasks: remoteAdmin(file),
    where: `the running server at ${file.url} (pid ${file.pid})`,
    running: true,
    close: async () => undefined,
  };
}

/** The tasks on the state opened here; the SMART parts (keys, provider) only when a user or client task runs. */
function directTasks(config: Config, state: ServerState, redisPrefix: string): AdminTasks & { close(): Promise<void> } {
  let auth: Promise<SmartAuth> | undefined;
  const smart = () =>
    (auth ??= Promise.all([state.authDb(), state.kv()]).then(([db, kv]) =>
      createSmartAuth({
        issuer: new URL(config.baseUrl).origin,
        fhirBaseUrl: config.baseUrl,
        db,
        redis: kv,
        redisPrefix,
        keysDir: config.auth.keysDir,
        onError: () => undefined,
      }),
    ));
  const users = async () => userAdmin({ db: await state.authDb(), keysDir: config.auth.keysDir });
  const clients = async () => {
    const a = await smart();
    return clientAdmin({ kv: await state.kv(), prefix: redisPrefix, registerClient: (r) => a.registerClient(r) });
  };
  let opened: ReturnType<typeof hl7EndpointAdmin> | undefined;
  const endpoints = () =>
    (opened ??= hl7EndpointAdmin(embeddedHl7EndpointStore(state.embeddedInteropDb().then((x) => x.db))));
  return {
    users: async () => (await users()).list(),
    addUser: async (u) => (await users()).add(u),
    changeUser: async (id, c) => (await users()).change(id, c),
    clients: async () => (await clients()).list(),
    registerClient: async (r) => ({ ...(await (await clients()).register(r as unknown as ClientRegistration)) }),
    revokeClient: async (id) => (await clients()).revoke(id),
    hl7Endpoints: () => endpoints().list(),
    addHl7Endpoint: (e) => endpoints().add(e),
    setHl7EndpointActive: (name, active) => endpoints().setActive(name, active),
    setHl7EndpointSettings: (name, settings) => endpoints().setSettings(name, settings),
    removeHl7Endpoint: (name) => endpoints().remove(name),
    createLaunch: async (c) => ({ launch: await (await smart()).createLaunch(launchContext(c)) }),
    async close() {
      await (await auth?.catch(() => undefined))?.close();
    },
  };
}

/** Opens the folder itself, or (a server holds it) goes through the running server's admin API. */
export async function openEmbeddedAdmin(config: Config, redisPrefix = 'nilecare:auth:'): Promise<EmbeddedAdmin> {
  const folder = resolve(config.embeddedDataDir);
  let store: ResourceStore | undefined;
  try {
    // A PGlite store takes the folder lock at once; with a MongoDB store the state's own PGlite folder is locked
    // when first used below.
    store = config.store.kind === 'mongo' ? undefined : await openConfiguredStore(config.store);
  } catch (e) {
    if (e instanceof FolderLockedError) return throughServer(folder, e);
    throw e;
  }
  // Only sqlClientOf(store) is asked of it: without a PostgresStore the state opens (and locks) its own folder.
  const state = openServerState(config, store ?? ({} as ResourceStore), pino({ level: 'silent' }));
  const tasks = directTasks(config, state, redisPrefix);
  const close = async () => {
    await tasks.close();
    await state.close();
    await store?.close();
  };
  try {
    // Take the folder now (a MongoDB store's state folder), so that a running server is detected before any task.
    if (!store) await state.kv();
  } catch (e) {
    await close();
    if (e instanceof FolderLockedError) return throughServer(folder, e);
    throw e;
  }
  return {
    tasks,
    where: config.store.kind === 'postgres' ? 'the PostgreSQL of DATABASE_URL' : `${folder} (no server running)`,
    running: false,
    close,
  };
}
