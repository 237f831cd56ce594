import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { Redis } from 'ioredis';
import { REVOCATION_CHECK_STALENESS_MS } from './context-store.js';
import { startAuthTestServer, type AuthTestServer, type TestUser } from './testing/auth-test-server.js';
import { authorizeUrl, Browser, exchangeCode, pkce, signInAndConsent } from './testing/browser.js';

const REDIRECT = 'http://127.0.0.1:9/ehr-app/cb';

describe('EHR launch and backend services (client_credentials + private_key_jwt)', () => {
  let t: AuthTestServer;
  let doc: TestUser;
  let admin: TestUser;
  let recep: TestUser;
  let pat: TestUser;
  let es384: CryptoKey;
  let rs384: CryptoKey;
  before(async () => {
    t = await startAuthTestServer();
    doc = await t.addUser({ username: 'drhassan', role: 'doctor', fhirUser: 'Practitioner/d9' });
    admin = await t.addUser({ username: 'root', role: 'admin' });
    recep = await t.addUser({ username: 'desk', role: 'receptionist' });
    pat = await t.addUser({ username: 'salma', role: 'patient', fhirUser: 'Patient/p3' });
    await t.auth.registerClient({
      client_id: 'ehr-app',
      client_name: 'EHR App',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      scope: 'openid fhirUser launch launch/patient launch/encounter offline_access patient/*.cruds user/*.cruds',
    });
    await t.auth.registerClient({
      client_id: 'admin-console',
      client_name: 'Admin console',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      scope: 'openid fhirUser user/*.cruds nilecare-admin',
    });
    const k1 = await generateKeyPair('ES384', { extractable: true });
    const k2 = await generateKeyPair('RS384', { extractable: true });
    es384 = k1.privateKey;
    rs384 = k2.privateKey;
    await t.auth.registerClient({
      client_id: 'bulk',
      client_name: 'Bulk exporter',
      token_endpoint_auth_method: 'private_key_jwt',
      scope: 'system/*.rs',
      jwks: {
        keys: [
          { ...(await exportJWK(k1.publicKey)), kid: 'es', alg: 'ES384' },
          { ...(await exportJWK(k2.publicKey)), kid: 'rs', alg: 'RS384' },
        ],
      },
    });
  });
  after(async () => t?.close());

  async function userToken(user: TestUser, scope: string, launch?: string, clientId = 'ehr-app') {
    const { verifier, challenge } = pkce();
    const url = authorizeUrl({
      base: t.base,
      fhirBase: t.fhirBase,
      clientId,
      redirectUri: REDIRECT,
      scope,
      challenge,
      ...(launch ? { launch } : {}),
    });
    const r = await signInAndConsent(new Browser(), url, REDIRECT, { login: user.username, password: user.password });
    const code = r.redirect?.searchParams.get('code');
    if (!code)
      return {
        status: 0,
        body: { error: r.redirect?.searchParams.get('error') ?? 'no code', html: r.lastHtml ?? '' } as Record<
          string,
          unknown
        >,
      };
    return exchangeCode(t.base, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: clientId,
      code_verifier: verifier,
    });
  }
  const get = (path: string, at: string, method = 'GET') =>
    fetch(`${t.base}${path}`, { method, headers: { authorization: `Bearer ${at}` } });
  const createLaunch = (at: string, body: unknown) =>
    fetch(`${t.base}/auth/launch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${at}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('a doctor with user scopes sees every patient (no compartment)', async () => {
    const { status, body } = await userToken(doc, 'openid fhirUser user/*.rs');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.patient, undefined);
    assert.equal((await get('/fhir/Patient/anyone', String(body.access_token))).status, 200);
    assert.equal((await get('/fhir/Observation/o1', String(body.access_token), 'DELETE')).status, 403);
  });

  it('EHR launch: the launch context becomes patient/encounter of the token; the app then sees only that patient', async () => {
    const ehr = await userToken(doc, 'openid fhirUser user/*.rs');
    const res = await createLaunch(String(ehr.body.access_token), {
      patient: 'p42',
      encounter: 'e7',
      fhirContext: [{ reference: 'ServiceRequest/sr1' }],
    });
    assert.equal(res.status, 201);
    const { launch } = (await res.json()) as { launch: string };
    const { status, body } = await userToken(doc, 'launch openid fhirUser patient/*.rs', launch);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.patient, 'p42');
    assert.equal(body.encounter, 'e7');
    assert.equal(body.need_patient_banner, false);
    assert.deepEqual(body.fhirContext, [{ reference: 'ServiceRequest/sr1' }]);
    assert.equal((await get('/fhir/Patient/p42', String(body.access_token))).status, 200);
    assert.equal((await get('/fhir/Patient/p41', String(body.access_token))).status, 403);
  });

  it('an unknown launch id, a launch for another patient, and launch creation by a patient token are refused', async () => {
    const bad = await userToken(doc, 'launch openid patient/*.rs', 'no-such-launch');
    assert.equal(bad.status, 0);
    assert.match(String(bad.body.html), /unknown or has expired/);
    const ehr = await userToken(doc, 'openid user/*.rs');
    const { launch } = (await (await createLaunch(String(ehr.body.access_token), { patient: 'p99' })).json()) as {
      launch: string;
    };
    const other = await userToken(pat, 'launch openid patient/*.rs', launch);
    assert.equal(other.status, 0);
    assert.match(String(other.body.html), /another user|another patient/);
    const byAdmin = await userToken(admin, 'launch openid patient/*.rs', launch);
    assert.equal(byAdmin.status, 0);
    assert.match(
      String(byAdmin.body.html),
      /started by another user/,
      'a launch is bound to the EHR user who created it',
    );
    const own = await userToken(pat, 'launch/patient openid patient/*.rs');
    assert.equal((await createLaunch(String(own.body.access_token), { patient: 'p3' })).status, 403);
    assert.equal((await createLaunch(String(ehr.body.access_token), { patient: '../x' })).status, 400);
    assert.equal(
      (
        await createLaunch(String(ehr.body.access_token), {
          patient: 'p1',
          fhirContext: [{ reference: 'http://evil/x' }],
        })
      ).status,
      400,
    );
  });

  it('a receptionist gets front-desk scopes only, whatever the app asks for', async () => {
    const { body } = await userToken(recep, 'openid user/*.cruds');
    const scopes = String(body.scope).split(' ');
    assert.ok(scopes.includes('user/Patient.cruds'));
    assert.ok(!scopes.some((s) => s.startsWith('user/Observation') || s === 'user/*.cruds'));
    assert.equal((await get('/fhir/Observation/o1', String(body.access_token))).status, 403);
    assert.equal((await get('/fhir/Patient/p1', String(body.access_token))).status, 200);
  });

  async function assertion(key: CryptoKey, alg: string, kid: string, over: Record<string, unknown> = {}) {
    return new SignJWT({ ...over })
      .setProtectedHeader({ alg, kid, typ: 'JWT' })
      .setIssuer('bulk')
      .setSubject('bulk')
      .setAudience(`${t.base}/auth/token`)
      .setJti(randomUUID())
      .setExpirationTime('4m')
      .setIssuedAt()
      .sign(key);
  }
  const backendToken = (
    jwt: string,
    scope = 'system/Patient.rs system/Observation.rs',
    type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  ) =>
    exchangeCode(t.base, {
      grant_type: 'client_credentials',
      scope,
      client_assertion_type: type,
      client_assertion: jwt,
    });

  it('backend services: a signed assertion (ES384 or RS384) gets a short-lived system token that reads but cannot write', async () => {
    for (const [key, alg, kid] of [
      [es384, 'ES384', 'es'],
      [rs384, 'RS384', 'rs'],
    ] as const) {
      const { status, body } = await backendToken(await assertion(key, alg, kid));
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 300);
      assert.deepEqual(String(body.scope).split(' ').sort(), ['system/Observation.rs', 'system/Patient.rs']);
      assert.equal(body.refresh_token, undefined);
      const at = String(body.access_token);
      assert.equal((await get('/fhir/Patient/p1', at)).status, 200);
      assert.equal((await get('/fhir/Patient/p1', at, 'PUT')).status, 403);
      assert.equal((await get('/fhir/Condition/c1', at)).status, 403);
    }
  });

  it('backend services: replayed, wrongly signed, wrong-type assertions and scopes beyond the registration are refused', async () => {
    const jwt = await assertion(es384, 'ES384', 'es');
    assert.equal((await backendToken(jwt)).status, 200);
    const replay = await backendToken(jwt);
    assert.equal(replay.body.error, 'invalid_client');
    const other = await generateKeyPair('ES384');
    const forged = await backendToken(await assertion(other.privateKey, 'ES384', 'es'));
    assert.equal(forged.body.error, 'invalid_client');
    assert.ok(forged.status === 400 || forged.status === 401);
    const wrongType = await backendToken(
      await assertion(es384, 'ES384', 'es'),
      'system/Patient.rs',
      'urn:example:nope',
    );
    assert.ok(wrongType.status === 400 || wrongType.status === 401, String(wrongType.status));
    const beyond = await backendToken(await assertion(es384, 'ES384', 'es'), 'system/Patient.cruds');
    assert.equal(beyond.status, 400);
    assert.equal(beyond.body.error, 'invalid_scope');
    assert.equal(beyond.body.access_token, undefined);
    const partly = await backendToken(
      await assertion(es384, 'ES384', 'es'),
      'system/Patient.cruds system/Observation.rs',
    );
    assert.equal(partly.body.scope, 'system/Observation.rs');
    const userScope = await backendToken(await assertion(es384, 'ES384', 'es'), 'user/Patient.rs');
    assert.equal(userScope.body.error, 'invalid_scope', 'a backend client cannot get user/ scopes');
  });

  it('backend services: a revoked token is refused at once through this node, within a second through another', async () => {
    // Regression guard for the revocation check's cache (context-store.ts, REVOCATION_CHECK_STALENESS_MS): a
    // grant-less token that Redis found unrevoked is not asked about again for a second.
    const first = String((await backendToken(await assertion(es384, 'ES384', 'es'))).body.access_token);
    assert.equal((await get('/fhir/Patient/p1', first)).status, 200);
    const revoke = await fetch(`${t.base}/auth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: first,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await assertion(es384, 'ES384', 'es'),
      }).toString(),
    });
    assert.equal(revoke.status, 200, await revoke.text());
    assert.equal((await get('/fhir/Patient/p1', first)).status, 401, 'revoked through this node: refused at once');

    const second = String((await backendToken(await assertion(es384, 'ES384', 'es'))).body.access_token);
    assert.equal((await get('/fhir/Patient/p1', second)).status, 200);
    // Another node revokes it: only the deny-list entry in the shared Redis says so.
    const redis = new Redis('redis://127.0.0.1:6379');
    try {
      await redis.set(`${t.redisPrefix}revoked:${String(decodeJwt(second).jti)}`, '1', 'EX', 600);
    } finally {
      redis.disconnect();
    }
    await new Promise((r) => setTimeout(r, REVOCATION_CHECK_STALENESS_MS + 100));
    assert.equal((await get('/fhir/Patient/p1', second)).status, 401, 'revoked through another node: refused');
  });

  it('only an administrator registers clients over HTTP, with clear errors for bad metadata', async () => {
    const adminTok = await userToken(admin, 'openid user/*.rs nilecare-admin', undefined, 'admin-console');
    assert.match(String(adminTok.body.scope), /nilecare-admin/);
    const docTok = await userToken(doc, 'openid user/*.rs');
    // An administrator's token issued to an ordinary app carries no admin power (issue 15 item 2).
    const adminViaApp = await userToken(admin, 'openid user/*.rs');
    assert.ok(!String(adminViaApp.body.scope).includes('nilecare-admin'));
    const reg = (at: string, body: unknown) =>
      fetch(`${t.base}/auth/register`, {
        method: 'POST',
        headers: { authorization: `Bearer ${at}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const good = {
      client_name: 'Chart',
      redirect_uris: ['https://chart.example/cb'],
      token_endpoint_auth_method: 'none',
      scope: 'openid patient/*.rs',
    };
    assert.equal((await reg(String(docTok.body.access_token), good)).status, 403);
    assert.equal((await reg(String(adminViaApp.body.access_token), good)).status, 403);
    const ok = await reg(String(adminTok.body.access_token), good);
    assert.equal(ok.status, 201);
    assert.ok(((await ok.json()) as { client_id: string }).client_id);
    const bad = await reg(String(adminTok.body.access_token), { ...good, scope: 'patient/Observation.sr' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error_description: string }).error_description, /unrecognised scopes/);
    const sys = await reg(String(adminTok.body.access_token), { ...good, scope: 'system/*.rs' });
    assert.equal(sys.status, 400);
    const broken = await fetch(`${t.base}/auth/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${String(adminTok.body.access_token)}`, 'content-type': 'application/json' },
      body: '{"client_name":',
    });
    assert.equal(broken.status, 400);
    assert.equal(((await broken.json()) as { error: string }).error, 'invalid_request');
    const huge = await fetch(`${t.base}/auth/launch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${String(adminTok.body.access_token)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ patient: 'x'.repeat(100_000) }),
    });
    assert.equal(huge.status, 413);
  });
});
