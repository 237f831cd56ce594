/**
 * `npm run auth -- <client command>`: the SMART client applications (kept in Redis by the authorisation server,
 * read at each request: a change applies at once, no restart).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { Redis } from 'ioredis';
import { publicMetadata, type ClientRegistration } from '../../auth/clients.js';
import { redisAdapterFactory } from '../../auth/redis-adapter.js';
import { createSmartAuth } from '../../auth/smart-auth.js';
import type { RefreshTokenRows } from '../../auth/refresh-token-rows.js';
import { parseOptions, UsageError, type CliIo } from '../cli-kit.js';
import { checkRedis, type AuthEnv } from './auth-services.js';
import { printTable } from './user-commands.js';
import type { BackendCredentials } from './token-command.js';

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
  },
  'register-backend': {
    summary: 'register a backend service (client_credentials, private_key_jwt) and write its key file',
    usage:
      '--client-id ID [--name NAME] [--scope "system/*.rs"] (--key-out FILE | --jwks-file public-jwks.json) [--replace]',
    detail: `With --key-out a new ES384 key pair is made: the public key is registered, the private key is written to
FILE (owner-only) with the client id, scope and FHIR base; "npm run -s auth -- token --key FILE" then prints an access
token. With --jwks-file the service's own public keys (a JWKS) are registered instead.`,
  },
  'list-clients': { summary: 'list registered clients with their kind and scope ceiling', usage: '', detail: '' },
  'remove-client': {
    summary: 'remove a client: it gets no new tokens (issued access tokens live until they expire, 5 min to 1 h)',
    usage: '--client-id ID',
    detail: '',
  },
} as const;
export type ClientCommand = keyof typeof CLIENT_COMMANDS;

/** The console's own client, registered again at every server start. */
const CONSOLE_CLIENT_ID = 'nilecare-console';

/** The Client model of the adapter never touches refresh tokens. */
const noRefreshRows: RefreshTokenRows = {
  insert: async () => undefined,
  isActive: async () => false,
  revoke: async () => undefined,
  revokeByHash: async () => undefined,
  revokeAllForUser: async () => 0,
};

/** A new ES384 key pair for a backend service: the public JWKS to register, the private JWK for its key file. */
export async function backendKeyPair(): Promise<{
  jwks: { keys: Record<string, unknown>[] };
  privateJwk: Record<string, unknown>;
}> {
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = (await calculateJwkThumbprint(pub)).slice(0, 16);
  return {
    jwks: { keys: [{ ...pub, kid, alg: 'ES384', use: 'sig' }] },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES384', use: 'sig' },
  };
}

/** A service's own public keys (--jwks-file). */
export async function readJwksFile(path: string): Promise<{ keys: Record<string, unknown>[] }> {
  const jwks = JSON.parse(await readFile(path, 'utf8')) as { keys: Record<string, unknown>[] };
  if (!Array.isArray(jwks?.keys)) throw new UsageError(`${path} is not a JWKS ({"keys":[…]})`);
  return jwks;
}

export async function readRegistration(values: { file?: string; json?: string }): Promise<ClientRegistration> {
  if (!values.file && !values.json) throw new UsageError('--file or --json is required');
  const text = values.file ? await readFile(values.file, 'utf8') : values.json!;
  try {
    return JSON.parse(text) as ClientRegistration;
  } catch (e) {
    throw new UsageError(`the registration is not valid JSON: ${(e as Error).message}`);
  }
}

async function register(env: AuthEnv, reg: ClientRegistration, replace: boolean, redis: Redis) {
  const clients = redisAdapterFactory({ redis, prefix: env.redisPrefix, refreshTokens: noRefreshRows })('Client');
  if (reg.client_id && !replace && (await clients.find(reg.client_id)))
    throw new Error(
      `client "${reg.client_id}" is already registered; add --replace to replace it (its secret and registration token change)`,
    );
  const auth = await createSmartAuth({
    issuer: env.issuer,
    fhirBaseUrl: env.fhirBaseUrl,
    mysqlUrl: env.mysqlUrl,
    redisUrl: env.redisUrl,
    redisPrefix: env.redisPrefix,
    keysDir: env.keysDir,
  });
  try {
    return await auth.registerClient(reg);
  } finally {
    await auth.close();
  }
}

export async function runClientCommand(
  command: ClientCommand,
  argv: readonly string[],
  env: AuthEnv,
  redis: Redis,
  io: CliIo,
): Promise<number> {
  const clients = () => redisAdapterFactory({ redis, prefix: env.redisPrefix, refreshTokens: noRefreshRows })('Client');
  switch (command) {
    case 'register-client': {
      const { values } = parseOptions(argv, {
        file: { type: 'string' },
        json: { type: 'string' },
        replace: { type: 'boolean' },
      });
      const reg = await readRegistration(values);
      await checkRedis(env);
      io.out(JSON.stringify(await register(env, reg, values.replace === true, redis), null, 2));
      return 0;
    }
    case 'register-backend': {
      const { values } = parseOptions(argv, {
        'client-id': { type: 'string' },
        name: { type: 'string' },
        scope: { type: 'string' },
        'key-out': { type: 'string' },
        'jwks-file': { type: 'string' },
        replace: { type: 'boolean' },
      });
      const clientId = values['client-id'];
      if (!clientId) throw new UsageError('--client-id is required');
      if (!values['key-out'] === !values['jwks-file']) throw new UsageError('give --key-out FILE or --jwks-file FILE');
      const scope = values.scope ?? 'system/*.rs';
      const keys = values['jwks-file'] ? { jwks: await readJwksFile(values['jwks-file']) } : await backendKeyPair();
      const jwks = keys.jwks;
      const privateJwk = 'privateJwk' in keys ? keys.privateJwk : undefined;
      const registered = await register(
        env,
        {
          client_id: clientId,
          client_name: values.name ?? clientId,
          token_endpoint_auth_method: 'private_key_jwt',
          grant_types: ['client_credentials'],
          scope,
          jwks,
        },
        values.replace === true,
        redis,
      );
      if (privateJwk) {
        const credentials: BackendCredentials = {
          client_id: clientId,
          fhir_base_url: env.fhirBaseUrl,
          scope,
          private_jwk: privateJwk,
        };
        await writeFile(values['key-out']!, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
      }
      io.out(
        JSON.stringify(
          {
            client_id: registered.client_id,
            scope,
            ...(values['key-out'] ? { key_file: values['key-out'] } : {}),
            registration_access_token: registered.registration_access_token,
          },
          null,
          2,
        ),
      );
      if (values['key-out'])
        io.err(`next: npm run -s auth -- token --key ${values['key-out']}   (prints an access token)`);
      return 0;
    }
    case 'list-clients': {
      parseOptions(argv, {});
      const rows: string[][] = [];
      let cursor = '0';
      const ids: string[] = [];
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${env.redisPrefix}Client:*`, 'COUNT', 500);
        cursor = next;
        ids.push(...keys.map((k) => k.slice(`${env.redisPrefix}Client:`.length)));
      } while (cursor !== '0');
      for (const id of ids.sort()) {
        const m = publicMetadata((await clients().find(id)) ?? {});
        const grants = (m.grant_types as string[] | undefined) ?? [];
        const kind = grants.includes('client_credentials')
          ? 'backend service'
          : m.token_endpoint_auth_method === 'none'
            ? 'app (public, PKCE)'
            : 'app (confidential)';
        rows.push([
          id,
          kind,
          String(m.token_endpoint_auth_method ?? ''),
          [m.scope, m.smart_scope].filter(Boolean).join(' '),
          String(m.client_name ?? ''),
        ]);
      }
      printTable(io, ['CLIENT ID', 'KIND', 'AUTH', 'SCOPE CEILING', 'NAME'], rows);
      return 0;
    }
    case 'remove-client': {
      const { values } = parseOptions(argv, { 'client-id': { type: 'string' } });
      const id = values['client-id'];
      if (!id) throw new UsageError('--client-id is required');
      const adapter = clients();
      if (!(await adapter.find(id))) throw new Error(`no client "${id}" (npm run auth -- list-clients shows them)`);
      await adapter.destroy(id);
      io.out(`removed client ${id}`);
      if (id === CONSOLE_CLIENT_ID) io.err('note: the server registers the console client again at its next start');
      return 0;
    }
  }
}
