import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { startAuthTestServer, type AuthTestServer, type TestUser } from './testing/auth-test-server.js';
import { authorizeUrl, Browser, exchangeCode, pkce, signInAndConsent } from './testing/browser.js';

const REDIRECT = 'http://127.0.0.1:9/app/callback';
const SCOPE = 'launch/patient openid fhirUser offline_access patient/Observation.rs patient/Patient.read';

describe('SMART standalone launch (authorisation code + PKCE) against nilecare_auth', () => {
  let t: AuthTestServer;
  let pat: TestUser;
  let doc: TestUser;
  before(async () => {
    t = await startAuthTestServer();
    pat = await t.addUser({ username: 'amira', role: 'patient', fhirUser: 'Patient/p1' });
    doc = await t.addUser({ username: 'drosman', role: 'doctor', fhirUser: 'Practitioner/d1' });
    await t.auth.registerClient({
      client_id: 'growth-chart',
      client_name: 'Growth Chart',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      scope: 'openid fhirUser launch launch/patient launch/encounter offline_access patient/*.rs user/*.rs',
    });
  });
  after(async () => t?.close());

  async function launch(user: TestUser, scope = SCOPE, extra: Partial<Parameters<typeof signInAndConsent>[3]> = {}) {
    const { verifier, challenge } = pkce();
    const url = authorizeUrl({
      base: t.base,
      fhirBase: t.fhirBase,
      clientId: 'growth-chart',
      redirectUri: REDIRECT,
      scope,
      challenge,
    });
    const r = await signInAndConsent(new Browser(), url, REDIRECT, {
      login: user.username,
      password: user.password,
      ...extra,
    });
    return { ...r, verifier };
  }
  async function tokenFor(user: TestUser, scope = SCOPE, extra: Partial<Parameters<typeof signInAndConsent>[3]> = {}) {
    const r = await launch(user, scope, extra);
    const code = r.redirect?.searchParams.get('code');
    assert.ok(code, `expected a code, got ${r.redirect?.toString() ?? r.lastHtml?.slice(0, 400)}`);
    return exchangeCode(t.base, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: 'growth-chart',
      code_verifier: r.verifier,
    });
  }
  const get = (path: string, token?: string) =>
    fetch(`${t.base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('publishes the SMART configuration at the root and under the FHIR base, with S256 only', async () => {
    for (const path of ['/.well-known/smart-configuration', '/fhir/.well-known/smart-configuration']) {
      const res = await get(path);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      const doc = (await res.json()) as Record<string, unknown>;
      assert.equal(doc.token_endpoint, `${t.base}/auth/token`);
      assert.deepEqual(doc.code_challenge_methods_supported, ['S256']);
      assert.ok((doc.capabilities as string[]).includes('launch-standalone'));
      const jwks = (await (await get('/auth/jwks')).json()) as { keys: Array<Record<string, unknown>> };
      assert.ok(jwks.keys.some((k) => k.alg === 'RS256'));
      assert.ok(
        jwks.keys.every((k) => k.d === undefined),
        'no private key material in the JWKS',
      );
    }
  });

  it('a patient gets a token confined to their own record, with launch context, id_token and refresh token', async () => {
    const { status, body } = await tokenFor(pat);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.patient, 'p1');
    assert.equal(body.need_patient_banner, true);
    assert.equal(typeof body.expires_in, 'number');
    assert.equal(typeof body.refresh_token, 'string');
    assert.deepEqual(String(body.scope).split(' ').sort(), SCOPE.split(' ').sort());
    const idt = await jwtVerify(String(body.id_token), createRemoteJWKSet(new URL(`${t.base}/auth/jwks`)), {
      issuer: t.base,
      audience: 'growth-chart',
    });
    assert.equal(idt.protectedHeader.alg, 'RS256');
    assert.equal(idt.payload.fhirUser, 'Patient/p1');
    const at = String(body.access_token);
    assert.equal(decodeJwt(at).aud, t.fhirBase);
    assert.equal((await get('/fhir/Patient/p1', at)).status, 200);
    const other = await get('/fhir/Patient/p2', at);
    assert.equal(other.status, 403);
    assert.equal(((await other.json()) as { resourceType: string }).resourceType, 'OperationOutcome');
    const write = await fetch(`${t.fhirBase}/Observation/o1`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${at}` },
    });
    assert.equal(write.status, 403);
    assert.match(write.headers.get('www-authenticate') ?? '', /insufficient_scope/);
    assert.equal((await get('/fhir/Condition/c1', at)).status, 403);
  });

  it('answers 401 with WWW-Authenticate and an OperationOutcome when the token is missing, forged or for another audience', async () => {
    const none = await get('/fhir/Patient/p1');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
    assert.equal(((await none.json()) as { issue: Array<{ code: string }> }).issue[0]!.code, 'login');
    const { body } = await tokenFor(pat);
    const at = String(body.access_token);
    const [header, , signature] = at.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...decodeJwt(at), patient: 'p2' })).toString('base64url')}.${signature}`;
    const f = await get('/fhir/Patient/p2', forged);
    assert.equal(f.status, 401);
    assert.match(f.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.equal(
      (await get('/fhir/Patient/p1', String(body.id_token))).status,
      401,
      'an id_token is not an access token',
    );
    assert.equal((await fetch(`${t.fhirBase}/Patient/p1`, { headers: { authorization: 'Basic YTpi' } })).status, 401);
  });

  it('requires PKCE and the FHIR base as aud', async () => {
    const noPkce = new URL(
      authorizeUrl({
        base: t.base,
        fhirBase: t.fhirBase,
        clientId: 'growth-chart',
        redirectUri: REDIRECT,
        scope: SCOPE,
        challenge: 'x',
      }),
    );
    noPkce.searchParams.delete('code_challenge');
    noPkce.searchParams.delete('code_challenge_method');
    const r1 = await fetch(noPkce, { redirect: 'manual' });
    const loc = new URL(r1.headers.get('location') ?? 'http://x/');
    assert.equal(loc.searchParams.get('error'), 'invalid_request');
    assert.match(loc.searchParams.get('error_description') ?? '', /PKCE|code_challenge/i);
    const plain = new URL(noPkce);
    plain.searchParams.set('code_challenge', 'a'.repeat(43));
    plain.searchParams.set('code_challenge_method', 'plain');
    const r2 = await fetch(plain, { redirect: 'manual' });
    assert.equal(new URL(r2.headers.get('location') ?? 'http://x/').searchParams.get('error'), 'invalid_request');
    const badAud = new URL(
      authorizeUrl({
        base: t.base,
        fhirBase: 'https://evil.example/fhir',
        clientId: 'growth-chart',
        redirectUri: REDIRECT,
        scope: SCOPE,
        challenge: 'x',
      }),
    );
    assert.equal((await fetch(badAud, { redirect: 'manual' })).status, 400);
  });

  it('a wrong code_verifier is refused; a second use of the code is refused and kills the tokens of the first', async () => {
    const r = await launch(pat);
    const code = r.redirect!.searchParams.get('code')!;
    const form = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: 'growth-chart',
      code_verifier: r.verifier,
    };
    const bad = await exchangeCode(t.base, { ...form, code_verifier: 'x'.repeat(43) });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid_grant');
    const first = await exchangeCode(t.base, form);
    assert.equal(first.status, 200);
    const at = String(first.body.access_token);
    assert.equal((await get('/fhir/Patient/p1', at)).status, 200);
    const again = await exchangeCode(t.base, form);
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');
    assert.equal(
      (await get('/fhir/Patient/p1', at)).status,
      401,
      'code replay revokes the grant and its access tokens',
    );
  });

  it('a doctor picks the patient in a standalone launch; unticked scopes are not granted', async () => {
    const { status, body } = await tokenFor(
      doc,
      'launch/patient openid fhirUser patient/Observation.rs patient/Patient.rs user/Practitioner.rs',
      { patient: 'p7', untick: ['user/Practitioner.rs'] },
    );
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.patient, 'p7');
    assert.ok(!String(body.scope).includes('user/Practitioner.rs'));
    const at = String(body.access_token);
    assert.equal((await get('/fhir/Patient/p7', at)).status, 200);
    assert.equal((await get('/fhir/Patient/p1', at)).status, 403);
    assert.equal((await get('/fhir/Practitioner/d1', at)).status, 403);
  });

  it('a patient asking for user/ or write scopes gets only patient read/search', async () => {
    const r = await launch(pat, 'launch/patient openid patient/*.cruds user/*.cruds');
    assert.deepEqual(r.offered.sort(), ['launch/patient', 'openid', 'patient/*.rs']);
  });

  it('no offline_access, no refresh token; an unticked offline_access is not granted either', async () => {
    const a = await tokenFor(pat, 'launch/patient openid patient/Patient.rs');
    assert.equal(a.status, 200);
    assert.equal(a.body.refresh_token, undefined);
    const b = await tokenFor(pat, SCOPE, { untick: ['offline_access'] });
    assert.equal(b.body.refresh_token, undefined);
    assert.ok(!String(b.body.scope).split(' ').includes('offline_access'));
  });

  it('denying consent sends the app access_denied', async () => {
    const r = await launch(pat, SCOPE, { deny: true });
    assert.equal(r.redirect?.searchParams.get('error'), 'access_denied');
  });
});
