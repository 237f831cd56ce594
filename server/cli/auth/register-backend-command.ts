/**
 * `npm run auth -- register-backend`: a backend service (client_credentials, private_key_jwt), with a new key pair
 * whose private half goes to an owner-only key file for `npm run auth -- token`, or with the service's own JWKS.
 */
import { writeFile } from 'node:fs/promises';
import { parseOptions, UsageError } from '../cli-kit.js';
import type { AuthCommand } from './admin-port.js';
import { backendKeyPair, readJwksFile } from './client-files.js';
import { registerReplacing } from './client-registration.js';
import type { BackendCredentials } from './token-command.js';

export const REGISTER_BACKEND = {
  summary: 'register a backend service (client_credentials, private_key_jwt) and write its key file',
  usage:
    '--client-id ID [--name NAME] [--scope "system/*.rs"] (--key-out FILE | --jwks-file public-jwks.json) [--replace]',
  detail: `With --key-out a new ES384 key pair is made: the public key is registered, the private key is written to
FILE (owner-only) with the client id, scope and FHIR base; "npm run -s auth -- token --key FILE" then prints an access
token. With --jwks-file the service's own public keys (a JWKS) are registered instead.`,
  async run({ argv, admin, env, io }) {
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
    const keyOut = values['key-out'];
    if (!keyOut === !values['jwks-file']) throw new UsageError('give --key-out FILE or --jwks-file FILE');
    const scope = values.scope ?? 'system/*.rs';
    const keys = values['jwks-file'] ? { jwks: await readJwksFile(values['jwks-file']) } : await backendKeyPair();
    const registration = {
      client_id: clientId,
      client_name: values.name ?? clientId,
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['client_credentials'],
      scope,
      jwks: keys.jwks,
    };
    const registered = await registerReplacing(admin, registration, values.replace === true);
    if (keyOut && 'privateJwk' in keys) {
      const credentials: BackendCredentials = {
        client_id: clientId,
        fhir_base_url: env.fhirBaseUrl,
        scope,
        private_jwk: keys.privateJwk,
      };
      await writeFile(keyOut, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    }
    const shown = {
      client_id: registered.client_id,
      scope,
      ...(keyOut ? { key_file: keyOut } : {}),
      registration_access_token: registered.registration_access_token,
    };
    io.out(JSON.stringify(shown, null, 2));
    if (keyOut) io.err(`next: npm run -s auth -- token --key ${keyOut}   (prints an access token)`);
    return 0;
  },
} satisfies AuthCommand;
