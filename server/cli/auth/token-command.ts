/**
 * `npm run -s auth -- token --key FILE`: a SMART backend-services access token (client_credentials grant with a
 * private_key_jwt assertion), exactly as any backend service gets one: the token endpoint from the server's
 * `.well-known/smart-configuration`, an assertion signed with the service's private key (iss = sub = client id,
 * aud = token endpoint, unique jti, 5 minutes), then `POST token_endpoint`. Only the token goes to stdout, so
 * `export FHIR_TOKEN=$(npm run -s auth -- token --key backend.json)` works; what was granted goes to stderr.
 */
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { importJWK, SignJWT } from 'jose';
import { isUnreachable, parseOptions, unreachable, UsageError, type CliIo } from '../cli-kit.js';

/** The key file `register-backend --key-out` writes. */
export interface BackendCredentials {
  client_id: string;
  fhir_base_url: string;
  scope: string;
  private_jwk: Record<string, unknown>;
}

export const TOKEN_COMMAND = {
  summary: 'get a backend-services access token with a key file from register-backend (printed alone on stdout)',
  usage: '--key FILE [--scope "system/Patient.rs …"] [--fhir-url URL] [--out TOKEN_FILE]',
  detail: `The FHIR base comes from --fhir-url, else the key file, else BASE_URL (HOST/PORT). The scope defaults to
the one registered. The token goes to stdout alone; keep -s (npm run without it prints its own banner there too):
  export FHIR_TOKEN=$(npm run -s auth -- token --key backend.json)
  curl -H "Authorization: Bearer $FHIR_TOKEN" http://127.0.0.1:8080/fhir/Patient
--out TOKEN_FILE writes it to an owner-only file instead (for hl7:replay --token-file, or $(cat TOKEN_FILE)).`,
} as const;

async function readCredentials(path: string): Promise<BackendCredentials> {
  let c: BackendCredentials;
  try {
    c = JSON.parse(await readFile(path, 'utf8')) as BackendCredentials;
  } catch (e) {
    throw new UsageError(
      `cannot read the key file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  if (!c?.client_id || !c.private_jwk?.kty)
    throw new UsageError(`${path} is not a key file written by "npm run auth -- register-backend --key-out"`);
  return c;
}

async function fetchJson(url: string, init: RequestInit, variable: string): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    // fetch rejects only when no HTTP answer came (refused, unknown host, TLS, bad port).
    throw unreachable('the FHIR server', new URL(url).origin, variable, isUnreachable(e) ? e : (e as Error).cause);
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text.slice(0, 200) };
  }
}

export async function runTokenCommand(argv: readonly string[], fallbackFhirBase: string, io: CliIo): Promise<number> {
  const { values } = parseOptions(argv, {
    key: { type: 'string' },
    scope: { type: 'string' },
    'fhir-url': { type: 'string' },
    out: { type: 'string' },
  });
  if (!values.key) throw new UsageError('--key FILE is required (written by register-backend --key-out)');
  const c = await readCredentials(values.key);
  const fhirBase = (values['fhir-url'] ?? c.fhir_base_url ?? fallbackFhirBase).replace(/\/+$/, '');
  const variable = values['fhir-url'] ? '--fhir-url' : c.fhir_base_url ? `the key file ${values.key}` : 'BASE_URL';
  const discovery = await fetchJson(`${fhirBase}/.well-known/smart-configuration`, {}, variable);
  const tokenEndpoint = (discovery.body as { token_endpoint?: unknown })?.token_endpoint;
  if (discovery.status !== 200 || typeof tokenEndpoint !== 'string')
    throw new Error(
      `${fhirBase}/.well-known/smart-configuration answered ${discovery.status} without a token_endpoint: is SMART on (NILECARE_AUTH=smart)?`,
    );
  const alg = String(c.private_jwk.alg ?? 'ES384');
  const key = await importJWK(c.private_jwk as never, alg);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg, typ: 'JWT', ...(c.private_jwk.kid ? { kid: String(c.private_jwk.kid) } : {}) })
    .setIssuer(c.client_id)
    .setSubject(c.client_id)
    .setAudience(tokenEndpoint)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);
  const answer = await fetchJson(
    tokenEndpoint,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: values.scope ?? c.scope,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }),
    },
    variable,
  );
  const body = answer.body as {
    access_token?: string;
    scope?: string;
    expires_in?: number;
    error?: string;
    error_description?: string;
  };
  if (answer.status !== 200 || !body?.access_token) {
    const why = body?.error
      ? `${body.error}${body.error_description ? `: ${body.error_description}` : ''}`
      : String(answer.body);
    const hint =
      body?.error === 'invalid_client'
        ? ' (is the client registered on this server? npm run auth -- list-clients)'
        : body?.error === 'invalid_scope'
          ? ` (registered ceiling: ${c.scope})`
          : '';
    throw new Error(`the token endpoint refused (${answer.status}) ${why}${hint}`);
  }
  if (values.out) await writeFile(values.out, `${body.access_token}\n`, { mode: 0o600 });
  else io.out(body.access_token);
  io.err(`token for ${c.client_id}: scope "${body.scope ?? ''}", expires in ${body.expires_in ?? '?'} s`);
  return 0;
}
