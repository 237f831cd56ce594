// SMART on FHIR sign-in for a public client: authorization code + PKCE (S256) with WebCrypto.
// The token lives in sessionStorage (gone when the tab closes).
const KEY = 'nilecare-console:token';
const PENDING = 'nilecare-console:pending';
export const SCOPE = 'openid fhirUser profile user/*.cruds user/AuditEvent.rs nilecare-admin';

let config;
export async function loadConfig() {
  if (!config) {
    const res = await fetch('config.json', { cache: 'no-store' });
    if (!res.ok) throw new Error(`console configuration unavailable (HTTP ${res.status})`);
    config = await res.json();
  }
  return config;
}

// NILECARE_AUTH=disabled (development): there is no authorisation server; every call goes without a token.
let open = false;
export function useOpenSession() {
  open = true;
}

const b64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));
const redirectUri = () => `${location.origin}${location.pathname}`;

async function smartConfiguration(cfg) {
  // The authorisation server publishes the document at its root (and under the FHIR base, when mounted before it).
  for (const base of [cfg.issuer, cfg.fhirBaseUrl]) {
    const res = await fetch(`${base}/.well-known/smart-configuration`, {
      headers: { accept: 'application/json' },
    }).catch(() => undefined);
    if (res?.ok) return res.json();
  }
  throw new Error('SMART configuration unavailable: the authorisation server does not answer');
}

export async function signIn() {
  const cfg = await loadConfig();
  const smart = await smartConfiguration(cfg);
  const verifier = random(32);
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const state = random(16);
  sessionStorage.setItem(
    PENDING,
    JSON.stringify({ verifier, state, tokenEndpoint: smart.token_endpoint, back: location.hash }),
  );
  const url = new URL(smart.authorization_endpoint);
  const params = {
    response_type: 'code',
    client_id: cfg.clientId,
    redirect_uri: redirectUri(),
    scope: SCOPE,
    state,
    aud: cfg.fhirBaseUrl,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  location.assign(url.toString());
}

/** On return from the authorisation server: exchanges the code. Returns true when the URL carried a response. */
export async function completeSignIn() {
  const q = new URLSearchParams(location.search);
  if (!q.has('code') && !q.has('error')) return false;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null');
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', `${location.pathname}${pending?.back ?? ''}`);
  if (q.has('error')) throw new Error(`Sign-in refused: ${q.get('error_description') ?? q.get('error')}`);
  if (!pending || pending.state !== q.get('state'))
    throw new Error('Sign-in response does not match this tab (state mismatch); sign in again.');
  const cfg = await loadConfig();
  const res = await fetch(pending.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: q.get('code'),
      redirect_uri: redirectUri(),
      client_id: cfg.clientId,
      code_verifier: pending.verifier,
    }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || !body.access_token)
    throw new Error(`Token exchange failed: ${body.error_description ?? body.error ?? res.status}`);
  const claims = body.id_token
    ? JSON.parse(atob(body.id_token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')))
    : {};
  sessionStorage.setItem(
    KEY,
    JSON.stringify({
      accessToken: body.access_token,
      expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000,
      scope: body.scope,
      // the person's name (profile scope), else their username, else the FHIR resource they are
      user: claims.name ?? claims.preferred_username ?? claims.fhirUser ?? claims.sub ?? '',
    }),
  );
  return true;
}

export function session() {
  if (open) return { accessToken: '', user: 'authorisation disabled (development)', open: true };
  const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
  if (!s || s.expiresAt < Date.now() + 5000) return undefined;
  return s;
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}
