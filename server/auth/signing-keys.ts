/**
 * Signing keys (RS256 for id_tokens and access tokens, ES384 alongside) and cookie keys. With `keysDir` they
 * are kept in `<keysDir>/auth-keys.json` (mode 0600) so every API node and every restart uses the same ones.
 * Rotation puts a new generation first (it signs from then on) and keeps the previous one in the JWKS so
 * that tokens already issued still verify; older generations are dropped.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

export interface KeyMaterial {
  /** Private JWKs, newest generation first. */
  readonly keys: JWK[];
  readonly cookieKeys: string[];
}

const ALGS = ['RS256', 'ES384'] as const;
export const KEEP_GENERATIONS = 2;

async function newGeneration(): Promise<JWK[]> {
  const out: JWK[] = [];
  for (const alg of ALGS) {
    const { privateKey } = await generateKeyPair(alg, {
      extractable: true,
      ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
    });
    const jwk = await exportJWK(privateKey);
    jwk.alg = alg;
    jwk.use = 'sig';
    jwk.kid = `${new Date().toISOString().slice(0, 10)}-${(await calculateJwkThumbprint(jwk)).slice(0, 16)}`;
    out.push(jwk);
  }
  return out;
}

export function publicJwks(material: KeyMaterial): { keys: JWK[] } {
  return {
    keys: material.keys.map(({ kty, crv, x, y, n, e, alg, use, kid }) =>
      Object.fromEntries(Object.entries({ kty, crv, x, y, n, e, alg, use, kid }).filter(([, v]) => v !== undefined)),
    ),
  };
}

export async function loadOrCreateKeys(keysDir: string | undefined): Promise<KeyMaterial> {
  if (keysDir) {
    try {
      const parsed = JSON.parse(await readFile(join(keysDir, 'auth-keys.json'), 'utf8')) as KeyMaterial;
      if (Array.isArray(parsed.keys) && parsed.keys.length > 0 && Array.isArray(parsed.cookieKeys)) return parsed;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  const material: KeyMaterial = { keys: await newGeneration(), cookieKeys: [randomBytes(32).toString('base64url')] };
  if (keysDir) await saveKeys(keysDir, material);
  return material;
}

export async function rotate(material: KeyMaterial, keysDir: string | undefined): Promise<KeyMaterial> {
  const fresh = await newGeneration();
  const next: KeyMaterial = {
    keys: [...fresh, ...material.keys].slice(0, ALGS.length * KEEP_GENERATIONS),
    cookieKeys: [randomBytes(32).toString('base64url'), ...material.cookieKeys].slice(0, KEEP_GENERATIONS),
  };
  if (keysDir) await saveKeys(keysDir, next);
  return next;
}

async function saveKeys(keysDir: string, material: KeyMaterial): Promise<void> {
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const tmp = join(keysDir, `auth-keys.json.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify(material, null, 2), { mode: 0o600 });
  await rename(tmp, join(keysDir, 'auth-keys.json'));
}
