import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createSmartAuth, type SmartAuth } from './smart-auth.js';
import { createAuthDbFixture, type AuthDbFixture } from './testing/auth-test-server.js';
import { authorizeUrl, Browser, exchangeCode, formAction, offeredScopes, pkce } from './testing/browser.js';

describe('createSmartAuth options: keysDir across restarts, backend client with a JWKS URL, devDisableAuth', () => {
  let fx: AuthDbFixture;
  let server: Server;
  let base: string;
  let keysDir: string;
  let current: SmartAuth | undefined;
  let key: CryptoKey;
  let publicJwk: JWK;
  before(async () => {
    fx = await createAuthDbFixture();
    keysDir = await mkdtemp(join(tmpdir(), 'nilecare-auth-keys-'));
    const app = express();
    app.get('/client-jwks', (_req, res) => void res.json({ keys: [publicJwk] }));
    app.use((req, res, next) => (current ? current.router(req, res, next) : next()));
    server = await new Promise((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const kp = await generateKeyPair('ES384', { extractable: true });
    key = kp.privateKey;
    publicJwk = { ...(await exportJWK(kp.publicKey)), kid: 'k1', alg: 'ES384', use: 'sig' };
  });
  after(async () => {
    await current?.close();
    await new Promise<void>((r) => server?.close(() => r()));
    server?.closeAllConnections?.();
    await fx?.drop();
    await rm(keysDir, { recursive: true, force: true });
  });

  const start = (jwksUriAllowLoopback = true) =>
    createSmartAuth({
      issuer: base,
      fhirBaseUrl: `${base}/fhir`,
      mysqlUrl: fx.url,
      redisPrefix: fx.redisPrefix,
      keysDir,
      jwksUriAllowLoopback,
      onError: () => undefined,
    });
  async function tryBackendToken() {
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES384', kid: 'k1' })
      .setIssuer('exporter')
      .setSubject('exporter')
      .setAudience(`${base}/auth/token`)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
    return exchangeCode(base, {
      grant_type: 'client_credentials',
      scope: 'system/Patient.rs',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
  }
  async function backendToken(): Promise<string> {
    const r = await tryBackendToken();
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return String(r.body.access_token);
  }

  it('a backend client registered with a JWKS URL gets tokens; keys in keysDir survive a restart (0600)', async () => {
    current = await start();
    await current.registerClient({
      client_id: 'exporter',
      client_name: 'Exporter',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: `${base}/client-jwks`,
      scope: 'system/*.rs',
    });
    const before = await backendToken();
    const p1 = await current.authenticate(`Bearer ${before}`);
    assert.equal(p1.who, 'client:exporter');
    assert.ok(p1.allows('search', 'Patient'));
    const mode = (await stat(join(keysDir, 'auth-keys.json'))).mode & 0o777;
    assert.equal(mode, 0o600);
    await current.close();
    current = await start();
    const p2 = await current.authenticate(`Bearer ${before}`);
    assert.equal(p2.who, 'client:exporter', 'a token issued before the restart still verifies');
    assert.ok((await current.authenticate(`Bearer ${await backendToken()}`)).allows('read', 'Patient'));
  });

  it('a node picks up keys another node rotated in keysDir when it meets a token signed with them', async () => {
    current ??= await start();
    const other = await start();
    try {
      await current.rotateKeys();
      const fresh = await backendToken();
      const p = await other.authenticate(`Bearer ${fresh}`);
      assert.equal(p.who, 'client:exporter');
    } finally {
      await other.close();
    }
  });

  it('two API nodes share one flow: authorize on A, sign in on B, consent on A, token on B', async () => {
    current ??= await start();
    const nodeB = await start();
    const appB = express().use(nodeB.router);
    const srvB: Server = await new Promise((r) => {
      const x = appB.listen(0, '127.0.0.1', () => r(x));
    });
    const baseB = `http://127.0.0.1:${(srvB.address() as AddressInfo).port}`;
    try {
      const user = await fx.addUser({ username: 'twonodes', role: 'patient', fhirUser: 'Patient/p9' });
      const redirect = 'http://127.0.0.1:9/cb';
      await current.registerClient({
        client_id: 'lb-app',
        client_name: 'LB app',
        redirect_uris: [redirect],
        token_endpoint_auth_method: 'none',
        scope: 'openid launch/patient patient/*.rs',
      });
      const { verifier, challenge } = pkce();
      const b = new Browser();
      const onB = (u: string) => u.replace(base, baseB);
      const loc = (r: Response, from: string) => new URL(r.headers.get('location')!, from).toString();
      // A: authorize → interaction; B: login page and POST
      const start1 = await b.request(
        authorizeUrl({
          base,
          fhirBase: `${base}/fhir`,
          clientId: 'lb-app',
          redirectUri: redirect,
          scope: 'launch/patient openid patient/*.rs',
          challenge,
        }),
      );
      const interaction = onB(loc(start1, base));
      const loginPage = await (await b.request(interaction)).text();
      const afterLogin = await b.request(new URL(formAction(loginPage), interaction).toString(), {
        form: { login: user.username, password: user.password },
      });
      assert.equal(afterLogin.status, 303);
      // A: resume → consent page; consent POST on A
      const resume = await b.request(loc(afterLogin, base));
      const consentUrl = loc(resume, base);
      const consentPage = await (await b.request(consentUrl)).text();
      const afterConsent = await b.request(new URL(formAction(consentPage), consentUrl).toString(), {
        form: { scope: offeredScopes(consentPage), decision: 'allow' },
      });
      // B: final resume → redirect to the app with a code
      const final = await b.request(onB(loc(afterConsent, base)));
      const code = new URL(loc(final, baseB)).searchParams.get('code');
      assert.ok(code, `no code: ${final.status} ${final.headers.get('location')}`);
      const tok = await exchangeCode(baseB, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirect,
        client_id: 'lb-app',
        code_verifier: verifier,
      });
      assert.equal(tok.status, 200, JSON.stringify(tok.body));
      assert.equal(tok.body.patient, 'p9');
      assert.equal((await current.authenticate(`Bearer ${String(tok.body.access_token)}`)).compartment, 'Patient/p9');
    } finally {
      await new Promise<void>((r) => srvB.close(() => r()));
      srvB.closeAllConnections?.();
      await nodeB.close();
    }
  });

  it('by default a jwks_uri on loopback is not fetched (SSRF guard)', async () => {
    await current?.close();
    current = await start(false);
    await current.registerClient({
      client_id: 'exporter',
      client_name: 'Exporter',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: `${base}/client-jwks`,
      scope: 'system/*.rs',
    });
    const r = await tryBackendToken();
    assert.equal(r.body.error, 'invalid_client');
    await current.close();
    current = await start();
  });

  it('authenticate rejects garbage with 401 and a Bearer challenge', async () => {
    current ??= await start();
    for (const h of [undefined, '', 'Bearer', 'Bearer a.b.c', 'Basic Zm9vOmJhcg==', `Bearer ${'x'.repeat(20000)}`]) {
      await assert.rejects(
        current.authenticate(h),
        (e: unknown) => {
          const err = e as { status: number; wwwAuthenticate: string; outcome: { resourceType: string } };
          return (
            err.status === 401 &&
            err.wwwAuthenticate.startsWith('Bearer realm=') &&
            err.outcome.resourceType === 'OperationOutcome'
          );
        },
        String(h).slice(0, 30),
      );
    }
  });

  it('devDisableAuth gives full access with a warning, and is refused in production', async () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (m: unknown) => void warnings.push(String(m));
    try {
      const dev = await createSmartAuth({
        issuer: base,
        fhirBaseUrl: `${base}/fhir`,
        mysqlUrl: fx.url,
        redisPrefix: fx.redisPrefix,
        keysDir,
        devDisableAuth: true,
      });
      const p = await dev.authenticate(undefined);
      assert.ok(p.allows('delete', 'Patient'));
      assert.equal(p.compartment, undefined);
      assert.match(p.who, /disabled/);
      await dev.close();
      assert.ok(
        warnings.some((w) => /DISABLED/.test(w)),
        'warned at start',
      );
      const env = process.env.NODE_ENV;
      process.env.NODE_ENV = 'production';
      try {
        await assert.rejects(
          createSmartAuth({ issuer: base, fhirBaseUrl: `${base}/fhir`, mysqlUrl: fx.url, devDisableAuth: true }),
          /refused/,
        );
      } finally {
        process.env.NODE_ENV = env;
      }
    } finally {
      console.warn = warn;
    }
  });
});
