/** The files the client commands read and write: registration JSON, a service's JWKS, a backend's new key pair. */
import { readFile } from 'node:fs/promises';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { ClientRegistration } from '../../auth/clients.js';
import { UsageError } from '../cli-kit.js';

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
