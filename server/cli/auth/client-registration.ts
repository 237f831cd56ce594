/** Registering a client from the CLI: a taken client id is refused unless --replace (then it is revoked first). */
import { CONSOLE_CLIENT_ID } from '../../console/console-client.js';
import type { AuthAdminTasks } from './admin-port.js';

export async function registerReplacing(
  admin: AuthAdminTasks,
  registration: Record<string, unknown>,
  replace: boolean,
): Promise<Record<string, unknown>> {
  const id = registration.client_id;
  // the console's own client: the task refuses it with its reason
  if (typeof id === 'string' && id !== CONSOLE_CLIENT_ID && (await admin.clients()).some((c) => c.clientId === id)) {
    if (!replace)
      throw new Error(
        `client "${id}" is already registered; add --replace to replace it (its secret and registration token change)`,
      );
    await admin.revokeClient(id);
  }
  return admin.registerClient(registration);
}
