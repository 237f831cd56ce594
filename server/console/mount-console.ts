/**
 * Mounts the operations console at /console (composition root helper for server/app.ts).
 * - SMART on (the default): the console is the public client `nilecare-console`, registered at each start; its admin
 *   API accepts only tokens of active `admin` users of nilecare_auth — and, when the users live in the embedded
 *   PGlite folder, the local admin token the server writes beside that folder for the command-line tools
 *   (admin/local-admin-credential.ts).
 * - NILECARE_AUTH=disabled (development only; createApp refuses it in production): there is no authorisation server
 *   to sign in with, so the console skips sign-in and its admin API is open, like the FHIR API is then.
 * - A test that resolves access itself (no SmartAuth, auth not disabled): the admin API refuses every call.
 */
import type express from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { SmartAuth } from '../auth/smart-auth.js';
import { forbidden } from '../fhir/errors.js';
import type { AdminApi } from './admin-api.js';
import { consoleRouter } from './console-router.js';
import { CONSOLE_CLIENT_ID, consoleClient } from './console-client.js';
import { adminAuthorizer, viewerAuthorizer, type AuthorizeAdmin } from './admin/admin-authorization.js';
import {
  embeddedStateFolder,
  localAdminCredential,
  type LocalAdminCredential,
} from './admin/local-admin-credential.js';

export async function mountConsole(
  app: express.Express,
  o: { config: Config; auth?: SmartAuth; admin: AdminApi; logger: Logger },
): Promise<{ close(): Promise<void>; localAdmin?: LocalAdminCredential }> {
  const origin = new URL(o.config.baseUrl).origin;
  let authorizeAdmin: AuthorizeAdmin;
  let authorizeViewer: AuthorizeAdmin | undefined;
  const folder = o.auth || o.config.auth.mode === 'disabled' ? embeddedStateFolder(o.config) : undefined;
  const localAdmin = folder ? localAdminCredential(folder) : undefined;
  const close = async (): Promise<void> => localAdmin?.withdraw();
  if (o.auth) {
    const auth = o.auth;
    // The FHIR API does not depend on the console: a failed registration (Redis down) is reported, not fatal.
    await auth
      .registerClient(consoleClient(origin))
      .catch((error: unknown) =>
        o.logger.error(
          { err: error },
          `the console client ${CONSOLE_CLIENT_ID} could not be registered; console sign-in fails until the next start`,
        ),
      );
    const users = {
      authenticate: (header: string | undefined) => auth.authenticate(header),
      userOf: (id: string) => auth.userOf(id),
    };
    const smartAdmin = adminAuthorizer(users);
    authorizeAdmin = async (header) => {
      if (localAdmin?.accepts(header)) return;
      await smartAdmin(header);
    };
    authorizeViewer = viewerAuthorizer(users);
  } else if (o.config.auth.mode === 'disabled') {
    authorizeAdmin = async () => undefined;
  } else {
    authorizeAdmin = async () => {
      throw forbidden('The console admin API needs the SMART authorisation server');
    };
  }
  app.use(
    '/console',
    consoleRouter({
      fhirBaseUrl: o.config.baseUrl,
      issuer: origin,
      clientId: CONSOLE_CLIENT_ID,
      signIn: o.config.auth.mode === 'disabled' && !o.auth ? 'none' : 'smart',
      admin: o.admin,
      authorizeAdmin,
      ...(authorizeViewer ? { authorizeViewer } : {}),
    }),
  );
  return { close, ...(localAdmin ? { localAdmin } : {}) };
}
