/**
 * The oidc-provider instance and the signing keys it was built with. Keys change two ways: this node rotates them
 * (`rotate`), or another node (or the CLI) rotated them in the shared keysDir and a token names a key this node does
 * not know (`reloadKeys`, at most every 10 s). Either way a new provider signs with the new keys from then on.
 */
import type Provider from 'oidc-provider';
import type { JSONWebKeySet } from 'jose';
import { loadOrCreateKeys, publicJwks, rotate, type KeyMaterial } from './signing-keys.js';

export interface SigningProvider {
  provider(): Provider;
  /** The provider's request handler (/auth/*). */
  callback(): ReturnType<Provider['callback']>;
  /** Picks up keys another node put in keysDir; their public JWKS, or undefined when nothing changed. */
  reloadKeys(): Promise<JSONWebKeySet | undefined>;
  /** New signing keys from now on; the previous ones stay in the returned JWKS so issued tokens keep verifying. */
  rotate(): Promise<JSONWebKeySet>;
}

/** Loads the keys from keysDir (created there on first use); without one they live in memory, with a warning. */
export async function loadSigningKeys(keysDir: string | undefined): Promise<KeyMaterial> {
  if (!keysDir)
    console.warn(
      'auth: no keysDir given, signing keys are kept in memory (tokens die with the process; not for several nodes)',
    );
  return loadOrCreateKeys(keysDir);
}

export function signingProvider(
  initial: KeyMaterial,
  keysDir: string | undefined,
  build: (keys: KeyMaterial) => Provider,
): SigningProvider {
  let keys = initial;
  let provider = build(keys);
  let callback = provider.callback();
  let lastReload = 0;
  const use = (fresh: KeyMaterial) => {
    keys = fresh;
    provider = build(keys);
    callback = provider.callback();
    return publicJwks(keys);
  };
  return {
    provider: () => provider,
    callback: () => callback,
    async reloadKeys() {
      if (!keysDir || Date.now() - lastReload < 10_000) return undefined;
      lastReload = Date.now();
      const fresh = await loadOrCreateKeys(keysDir);
      if (fresh.keys[0]?.kid === keys.keys[0]?.kid) return undefined;
      return use(fresh);
    },
    async rotate() {
      return use(await rotate(keys, keysDir));
    },
  };
}
