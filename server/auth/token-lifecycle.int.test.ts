import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { RowDataPacket } from 'mysql2/promise';
import { startAuthTestServer, type AuthTestServer, type TestUser } from './testing/auth-test-server.js';
import { authorizeUrl, Browser, exchangeCode, pkce, signInAndConsent } from './testing/browser.js';
import { tokenHash } from './refresh-token-rows.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const SCOPE = 'launch/patient openid fhirUser offline_access patient/Observation.rs patient/Patient.rs';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('tokens: expiry, refresh, rotation, revocation, introspection, key rotation', () => {
  let t: AuthTestServer;
  let pat: TestUser;
  before(async () => {
    t = await startAuthTestServer({ lifetimes: { accessToken: 2 } });
    pat = await t.addUser({ username: 'fatima', role: 'patient', fhirUser: 'Patient/p5' });
    await t.auth.registerClient({
      client_id: 'app',
      client_name: 'App',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      scope: 'openid fhirUser launch/patient offline_access patient/*.rs',
    });
  });
  after(async () => t?.close());

  async function tokens(scope = SCOPE) {
    const { verifier, challenge } = pkce();
    const r = await signInAndConsent(
      new Browser(),
      authorizeUrl({ base: t.base, fhirBase: t.fhirBase, clientId: 'app', redirectUri: REDIRECT, scope, challenge }),
      REDIRECT,
      { login: pat.username, password: pat.password },
    );
    const code = r.redirect?.searchParams.get('code');
    assert.ok(code);
    const res = await exchangeCode(t.base, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: 'app',
      code_verifier: verifier,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  }
  const read = (at: string) => fetch(`${t.fhirBase}/Patient/p5`, { headers: { authorization: `Bearer ${at}` } });
  const refresh = (rt: string) =>
    exchangeCode(t.base, { grant_type: 'refresh_token', refresh_token: rt, client_id: 'app' });
  const post = async (path: string, form: Record<string, string>) => {
    const res = await fetch(`${t.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  it('access tokens expire as configured; the refresh token (without scope) gives a new one with the same context, and is rotated', async () => {
    const b = await tokens();
    assert.equal(b.expires_in, 2);
    const at = String(b.access_token);
    assert.equal((await read(at)).status, 200);
    await sleep(3300);
    const expired = await read(at);
    assert.equal(expired.status, 401);
    assert.match(expired.headers.get('www-authenticate') ?? '', /expired/);

    const r1 = await refresh(String(b.refresh_token));
    assert.equal(r1.status, 200, JSON.stringify(r1.body));
    assert.equal(r1.body.patient, 'p5');
    assert.deepEqual(String(r1.body.scope).split(' ').sort(), SCOPE.split(' ').sort());
    assert.equal((await read(String(r1.body.access_token))).status, 200);
    assert.notEqual(r1.body.refresh_token, b.refresh_token, 'public clients get a rotated refresh token');
    const rows = await t.db.query<RowDataPacket[]>(
      'SELECT token, is_revoked, user_id FROM auth_refresh_tokens WHERE user_id = ?',
      [pat.id],
    );
    const old = rows[0].find((r) => r.token === tokenHash(String(b.refresh_token)));
    assert.equal(old?.is_revoked, 1, 'the rotated refresh token is marked revoked in auth_refresh_tokens');
    const reuse = await refresh(String(b.refresh_token));
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error, 'invalid_grant');
  });

  it('revoking the refresh token ends the grant: no more refresh, its access tokens are refused', async () => {
    const b = await tokens();
    const at = String(b.access_token);
    const rev = await post('/auth/revoke', {
      token: String(b.refresh_token),
      token_type_hint: 'refresh_token',
      client_id: 'app',
    });
    assert.equal(rev.status, 200);
    assert.equal((await refresh(String(b.refresh_token))).status, 400);
    assert.equal((await read(at)).status, 401);
    const [rows] = await t.db.query<RowDataPacket[]>('SELECT is_revoked FROM auth_refresh_tokens WHERE token = ?', [
      tokenHash(String(b.refresh_token)),
    ]);
    assert.equal(rows[0]?.is_revoked, 1);
  });

  it('a refresh token revoked in auth_refresh_tokens (e.g. by an administrator) stops working', async () => {
    const b = await tokens();
    await t.db.execute('UPDATE auth_refresh_tokens SET is_revoked = 1 WHERE token = ?', [
      tokenHash(String(b.refresh_token)),
    ]);
    const r = await refresh(String(b.refresh_token));
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'invalid_grant');
  });

  it('a user who is no longer active cannot refresh', async () => {
    const u = await t.addUser({ username: 'leaver', role: 'patient', fhirUser: 'Patient/p6' });
    const { verifier, challenge } = pkce();
    const r = await signInAndConsent(
      new Browser(),
      authorizeUrl({
        base: t.base,
        fhirBase: t.fhirBase,
        clientId: 'app',
        redirectUri: REDIRECT,
        scope: SCOPE,
        challenge,
      }),
      REDIRECT,
      { login: u.username, password: u.password },
    );
    const b = (
      await exchangeCode(t.base, {
        grant_type: 'authorization_code',
        code: r.redirect!.searchParams.get('code')!,
        redirect_uri: REDIRECT,
        client_id: 'app',
        code_verifier: verifier,
      })
    ).body;
    await t.db.execute("UPDATE auth_users SET status = 'suspended' WHERE id = ?", [u.id]);
    const res = await refresh(String(b.refresh_token));
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_grant');
  });

  it('introspection reports an active token with its SMART context, and inactive after the access token is revoked', async () => {
    const b = await tokens();
    const at = String(b.access_token);
    const i1 = await post('/auth/introspect', { token: at, client_id: 'app' });
    assert.equal(i1.status, 200);
    assert.equal(i1.body.active, true);
    assert.equal(i1.body.client_id, 'app');
    assert.equal(i1.body.patient, 'p5');
    assert.equal(i1.body.iss, t.base);
    assert.equal(i1.body.sub, pat.id);
    assert.ok(String(i1.body.scope).includes('patient/Observation.rs'));
    assert.equal(typeof i1.body.exp, 'number');
    const rev = await post('/auth/revoke', { token: at, client_id: 'app' });
    assert.equal(rev.status, 200);
    assert.equal((await read(at)).status, 401);
    assert.equal((await post('/auth/introspect', { token: at, client_id: 'app' })).body.active, false);
    assert.equal((await post('/auth/introspect', { token: 'not-a-token', client_id: 'app' })).body.active, false);
    assert.equal((await post('/auth/introspect', { token: at })).status, 400, 'the caller must identify itself');
  });

  it('a confidential client (client_secret_basic) exchanges its code and introspects with its secret', async () => {
    const reg = await t.auth.registerClient({
      client_id: 'conf',
      client_name: 'Confidential',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid launch/patient patient/*.rs',
    });
    const basic = `Basic ${Buffer.from(`conf:${reg.client_secret}`).toString('base64')}`;
    const { verifier, challenge } = pkce();
    const r = await signInAndConsent(
      new Browser(),
      authorizeUrl({
        base: t.base,
        fhirBase: t.fhirBase,
        clientId: 'conf',
        redirectUri: REDIRECT,
        scope: 'launch/patient openid patient/*.rs',
        challenge,
      }),
      REDIRECT,
      { login: pat.username, password: pat.password },
    );
    const form = (f: Record<string, string>) => ({
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(f).toString(),
    });
    const tok = await fetch(
      `${t.base}/auth/token`,
      form({
        grant_type: 'authorization_code',
        code: r.redirect!.searchParams.get('code')!,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      }),
    );
    const body = (await tok.json()) as Record<string, unknown>;
    assert.equal(tok.status, 200, JSON.stringify(body));
    const intro = await fetch(`${t.base}/auth/introspect`, form({ token: String(body.access_token) }));
    const ib = (await intro.json()) as Record<string, unknown>;
    assert.equal(ib.active, true);
    assert.equal(ib.client_id, 'conf');
    const wrong = await fetch(`${t.base}/auth/introspect`, {
      ...form({ token: String(body.access_token) }),
      headers: {
        authorization: `Basic ${Buffer.from('conf:wrong').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
    });
    assert.equal(wrong.status, 401);
  });

  it('after key rotation new tokens use the new key and tokens signed before still verify', async () => {
    const before = await tokens('launch/patient openid patient/Patient.rs');
    const oldKid = decodeProtectedHeader(String(before.access_token)).kid;
    await t.auth.rotateKeys();
    const after = await tokens('launch/patient openid patient/Patient.rs');
    const newKid = decodeProtectedHeader(String(after.access_token)).kid;
    assert.notEqual(newKid, oldKid);
    const jwks = (await (await fetch(`${t.base}/auth/jwks`)).json()) as { keys: Array<{ kid: string }> };
    assert.ok(jwks.keys.some((k) => k.kid === oldKid) && jwks.keys.some((k) => k.kid === newKid));
    assert.equal((await read(String(after.access_token))).status, 200);
    assert.ok((decodeJwt(String(before.access_token)).exp ?? 0) > 0);
  });
});
