/**
 * `npm run auth -- <client command>`: the SMART client applications (kept by the authorisation server in Redis or
 * embedded, read at each request: a change applies at once, no restart). One implementation over the admin tasks
 * (admin-port.ts), wherever the clients are kept.
 */
import { parseOptions, UsageError } from '../cli-kit.js';
import type { AuthCommand, CommandContext } from './admin-port.js';
import { readRegistration } from './client-files.js';
import { registerReplacing } from './client-registration.js';
import { printTable } from './print-table.js';
import { REGISTER_BACKEND } from './register-backend-command.js';

async function registerClient({ argv, admin, io }: CommandContext): Promise<number> {
  const { values } = parseOptions(argv, {
    file: { type: 'string' },
    json: { type: 'string' },
    replace: { type: 'boolean' },
  });
  const registration = (await readRegistration(values)) as unknown as Record<string, unknown>;
  io.out(JSON.stringify(await registerReplacing(admin, registration, values.replace === true), null, 2));
  return 0;
}

async function listClients({ argv, admin, io }: CommandContext): Promise<number> {
  parseOptions(argv, {});
  const rows = (await admin.clients()).map((c) => [c.clientId, c.kind, c.authMethod, c.scope, c.name]);
  printTable(io, ['CLIENT ID', 'KIND', 'AUTH', 'SCOPE CEILING', 'NAME'], rows);
  return 0;
}

async function removeClient({ argv, admin, io }: CommandContext): Promise<number> {
  const id = parseOptions(argv, { 'client-id': { type: 'string' } }).values['client-id'];
  if (!id) throw new UsageError('--client-id is required');
  if (!(await admin.clients()).some((c) => c.clientId === id))
    throw new Error(`no client "${id}" (npm run auth -- list-clients shows them)`);
  await admin.revokeClient(id);
  io.out(`removed client ${id}`);
  return 0;
}

export const CLIENT_COMMANDS = {
  'register-client': {
    summary: 'register a SMART app or service from its registration JSON',
    usage: "(--file registration.json | --json '{…}') [--replace]",
    detail: `The JSON (RFC 7591 names): client_name, token_endpoint_auth_method (none | private_key_jwt |
client_secret_basic | client_secret_post), scope (the most it may ever be granted), redirect_uris (apps),
jwks or jwks_uri (private_key_jwt), client_id (optional; a UUID otherwise). Example of a browser app with PKCE:
  {"client_id":"my-app","client_name":"My app","token_endpoint_auth_method":"none",
   "redirect_uris":["http://localhost:3000/callback"],
   "scope":"openid fhirUser launch/patient offline_access patient/*.rs"}
The answer shows the client_secret (secret methods) and the registration_access_token once.`,
    run: registerClient,
  },
  'register-backend': REGISTER_BACKEND,
  'list-clients': {
    summary: 'list registered clients with their kind and scope ceiling',
    usage: '',
    detail: '',
    run: listClients,
  },
  'remove-client': {
    summary: 'remove a client: it gets no new tokens (issued access tokens live until they expire, 5 min to 1 h)',
    usage: '--client-id ID',
    detail: '',
    run: removeClient,
  },
} satisfies Record<string, AuthCommand>;
export type ClientCommand = keyof typeof CLIENT_COMMANDS;
