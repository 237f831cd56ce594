/**
 * The real FHIR application (createApp over the PostgreSQL store, on a throw-away database of the local server) behind
 * SMART tokens: a patient-context
 * token tries every way round its compartment and is refused or sees only its own patient's data.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { FULL_ACCESS, type AccessPolicy } from '../fhir/access-policy.js';
import { createTestDatabase, type TestDatabase } from '../migrate/testing/test-databases.js';
import { openPostgresStore } from '../store/postgres/open-postgres-store.js';
import type { ResourceStore } from '../store/resource-store.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { createSmartAuth, type SmartAuth } from './smart-auth.js';
import { createAuthDbFixture, type AuthDbFixture, type TestUser } from './testing/auth-test-server.js';
import { authorizeUrl, Browser, exchangeCode, pkce, signInAndConsent } from './testing/browser.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const LAB = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] };
const VITAL = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }],
};
const obs = (id: string, subject: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { text: id },
  subject: { reference: subject },
  ...extra,
});

describe('compartment enforcement through the real FHIR API', () => {
  let fx: AuthDbFixture;
  let store: ResourceStore;
  let pgDb: TestDatabase;
  let exportDir: string;
  let srv: TestServer;
  let auth: SmartAuth;
  let seeding = true;
  let pat: TestUser;
  let doc: TestUser;
  let patientToken = '';

  before(async () => {
    fx = await createAuthDbFixture();
    pgDb = await createTestDatabase('postgres', 'fhir');
    store = await openPostgresStore({ url: pgDb.url, poolSize: 4 });
    exportDir = await mkdtemp(join(tmpdir(), 'nilecare-auth-export-'));
    srv = await startTestServer(store, {
      env: { NILECARE_AUTH: 'smart', EXPORT_DIR: exportDir },
      resolveAccess: async (req): Promise<AccessPolicy> =>
        seeding ? FULL_ACCESS : auth.authenticate(req.get('authorization'), { ...(req.ip ? { ip: req.ip } : {}) }),
    });
    const issuer = new URL(srv.baseUrl).origin;
    auth = await createSmartAuth({
      issuer,
      fhirBaseUrl: srv.baseUrl,
      mysqlUrl: fx.url,
      redisPrefix: fx.redisPrefix,
      onError: () => undefined,
    });
    srv.app.express.use(auth.router);
    const seed: Resource[] = [
      { resourceType: 'Patient', id: 'p1', name: [{ family: 'Mine' }] },
      { resourceType: 'Patient', id: 'p2', name: [{ family: 'Secret' }] },
      obs('o1', 'Patient/p1', { category: [LAB] }),
      obs('o2', 'Patient/p2', { category: [LAB] }),
      obs('o3', 'Patient/p1', { category: [VITAL], focus: [{ reference: 'Patient/p2' }] }),
      {
        resourceType: 'Encounter',
        id: 'e2',
        status: 'finished',
        class: { code: 'AMB' },
        subject: { reference: 'Patient/p2' },
      },
    ] as Resource[];
    for (const r of seed)
      assert.ok(
        [200, 201].includes((await srv.fhir(`/${r.resourceType}/${r.id}`, { method: 'PUT', body: r })).status),
        `seed ${r.resourceType}/${r.id}`,
      );
    seeding = false;
    pat = await fx.addUser({ username: 'p1user', role: 'patient', fhirUser: 'Patient/p1' });
    doc = await fx.addUser({ username: 'doc', role: 'doctor', fhirUser: 'Practitioner/d1' });
    await auth.registerClient({
      client_id: 'app',
      client_name: 'App',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      scope: 'openid fhirUser launch/patient patient/*.cruds user/*.cruds',
    });
    patientToken = await token(pat, 'launch/patient openid patient/*.rs');
  });
  after(async () => {
    await srv?.close();
    await auth?.close();
    await store?.close();
    await pgDb?.drop();
    if (exportDir) await rm(exportDir, { recursive: true, force: true });
    await fx?.drop();
  });

  async function token(user: TestUser, scope: string, patient?: string): Promise<string> {
    const { verifier, challenge } = pkce();
    const r = await signInAndConsent(
      new Browser(),
      authorizeUrl({
        base: new URL(srv.baseUrl).origin,
        fhirBase: srv.baseUrl,
        clientId: 'app',
        redirectUri: REDIRECT,
        scope,
        challenge,
      }),
      REDIRECT,
      { login: user.username, password: user.password, ...(patient ? { patient } : {}) },
    );
    const code = r.redirect?.searchParams.get('code');
    assert.ok(code, r.lastHtml);
    const res = await exchangeCode(new URL(srv.baseUrl).origin, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: 'app',
      code_verifier: verifier,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return String(res.body.access_token);
  }
  const as = (tok: string, path: string, init: { method?: string; body?: unknown } = {}) =>
    srv.fhir(path, { ...init, headers: { authorization: `Bearer ${tok}` } });
  const ids = (b: Bundle) => (b.entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`).sort();
  const refused = (status: number) => status === 403 || status === 404;

  it('without a token the API answers 401 with an OperationOutcome', async () => {
    const r = await srv.fhir('/Patient/p1');
    assert.equal(r.status, 401);
    assert.equal(r.body?.resourceType, 'OperationOutcome');
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  it('read and vread of another patient, or of their data, are refused', async () => {
    assert.equal((await as(patientToken, '/Patient/p1')).status, 200);
    for (const path of [
      '/Patient/p2',
      '/Observation/o2',
      '/Encounter/e2',
      '/Patient/p2/_history/1',
      '/Observation/o2/_history/1',
    ]) {
      const r = await as(patientToken, path);
      assert.ok(refused(r.status), `${path} → ${r.status}`);
      assert.ok(!r.text.includes('Secret'), path);
    }
  });

  it('searches are confined, whatever the parameters say', async () => {
    assert.deepEqual(ids((await as(patientToken, '/Observation')).body), ['Observation/o1', 'Observation/o3']);
    assert.deepEqual(ids((await as(patientToken, '/Observation?subject=Patient/p2')).body), []);
    assert.deepEqual(ids((await as(patientToken, '/Patient')).body), ['Patient/p1']);
    assert.deepEqual(ids((await as(patientToken, '/Encounter')).body), []);
    const sys = await as(patientToken, '/?_type=Patient,Observation');
    if (sys.status === 200) assert.ok(!ids(sys.body).some((x) => x.endsWith('p2') || x.endsWith('o2')));
    else assert.ok(refused(sys.status) || sys.status === 400);
  });

  it('_include and _revinclude do not reach outside the compartment', async () => {
    const inc = await as(patientToken, '/Observation?_include=Observation:focus&_include=Observation:subject');
    assert.equal(inc.status, 200);
    assert.ok(!ids(inc.body).includes('Patient/p2'), JSON.stringify(ids(inc.body)));
    const rev = await as(patientToken, '/Patient?_revinclude=Observation:subject&_revinclude=Encounter:subject');
    assert.deepEqual(ids(rev.body), ['Observation/o1', 'Observation/o3', 'Patient/p1']);
  });

  it('chaining and _has cannot probe another patient', async () => {
    const chain = await as(patientToken, '/Observation?focus:Patient.family=Secret');
    assert.ok(
      chain.status !== 200 || ids(chain.body).length === 0,
      `chain leaked: ${JSON.stringify(ids(chain.body ?? {}))}`,
    );
    const has = await as(patientToken, '/Patient?_has:Observation:subject:_id=o2');
    assert.ok(has.status !== 200 || ids(has.body).length === 0);
    const hasOwn = await as(patientToken, '/Patient?_has:Observation:subject:_id=o1');
    assert.equal(hasOwn.status, 200);
    assert.deepEqual(ids(hasOwn.body), ['Patient/p1']);
  });

  it('history shows only the compartment', async () => {
    const sys = await as(patientToken, '/_history');
    assert.equal(sys.status, 200);
    const seen = ids(sys.body);
    assert.ok(seen.includes('Patient/p1'), JSON.stringify(seen));
    assert.ok(!seen.some((x) => ['Patient/p2', 'Observation/o2', 'Encounter/e2'].includes(x)), JSON.stringify(seen));
    const type = await as(patientToken, '/Observation/_history');
    assert.ok(!ids(type.body).includes('Observation/o2'));
    const inst = await as(patientToken, '/Patient/p2/_history');
    // Refused, or an empty history: never a version of the other patient.
    assert.ok(
      refused(inst.status) || (inst.status === 200 && ids(inst.body).length === 0),
      `instance history → ${inst.status}`,
    );
    assert.ok(!inst.text.includes('Secret'));
  });

  it('$everything: refused for another patient; for the own patient it does not pull in the other patient through references', async () => {
    const ev = await as(patientToken, '/Patient/p2/$everything');
    assert.ok(ev.status >= 400 && !ev.text.includes('Secret'), `$everything → ${ev.status}`);
    const own = await as(patientToken, '/Patient/p1/$everything');
    assert.equal(own.status, 200, own.text.slice(0, 300));
    assert.ok(ids(own.body).includes('Observation/o3'));
    assert.ok(!ids(own.body).includes('Patient/p2') && !own.text.includes('Secret'), JSON.stringify(ids(own.body)));
  });

  /** Kicks off an export and returns every exported line (or the refusal status). */
  async function runExport(tok: string, path: string): Promise<{ status: number; lines: string[] }> {
    const kick = await srv.fhir(path, { headers: { authorization: `Bearer ${tok}`, prefer: 'respond-async' } });
    if (kick.status !== 202) return { status: kick.status, lines: [] };
    const poll = kick.headers.get('content-location')!;
    for (let i = 0; i < 100; i++) {
      const st = await srv.fhir(poll, { headers: { authorization: `Bearer ${tok}` } });
      if (st.status === 200) {
        const lines: string[] = [];
        for (const o of (st.body as { output: Array<{ url: string }> }).output) {
          lines.push(
            ...(await srv.fhir(o.url, { headers: { authorization: `Bearer ${tok}` } })).text
              .split('\n')
              .filter(Boolean),
          );
        }
        return { status: 200, lines };
      }
      assert.equal(st.status, 202, st.text.slice(0, 200));
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('export did not finish');
  }

  it('$export with a patient token is refused or confined to the patient', async () => {
    for (const path of ['/$export', '/Patient/$export', '/Group/g1/$export']) {
      const r = await runExport(patientToken, path);
      assert.ok(
        r.status >= 400 || r.lines.every((l) => !l.includes('Secret') && !l.includes('"o2"') && !l.includes('"e2"')),
        `${path} → ${r.status}: ${r.lines.join(' ').slice(0, 300)}`,
      );
    }
  });

  it('a backend service authenticated with a signed assertion runs $export and gets everything its scopes allow', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
    await auth.registerClient({
      client_id: 'bulk',
      client_name: 'Bulk',
      token_endpoint_auth_method: 'private_key_jwt',
      scope: 'system/*.rs',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'b1', alg: 'ES384' }] },
    });
    const origin = new URL(srv.baseUrl).origin;
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES384', kid: 'b1' })
      .setIssuer('bulk')
      .setSubject('bulk')
      .setAudience(`${origin}/auth/token`)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const tok = await exchangeCode(origin, {
      grant_type: 'client_credentials',
      scope: 'system/Patient.rs system/Observation.rs',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    assert.equal(tok.status, 200, JSON.stringify(tok.body));
    const r = await runExport(String(tok.body.access_token), '/$export?_type=Patient,Observation');
    assert.equal(r.status, 200);
    const exported = r.lines
      .map((l) => JSON.parse(l) as Resource)
      .map((x) => `${x.resourceType}/${x.id}`)
      .sort();
    for (const id of ['Patient/p1', 'Patient/p2', 'Observation/o1', 'Observation/o2'])
      assert.ok(exported.includes(id), `${id} in ${exported.join(',')}`);
    assert.ok(!exported.some((x) => x.startsWith('Encounter/')), 'no type beyond the scopes');
    const enc = await runExport(String(tok.body.access_token), '/$export?_type=Encounter');
    assert.equal(enc.status, 403);
  });

  it('403 answers carry WWW-Authenticate: Bearer error="insufficient_scope" (RFC 6750 §3.1)', async () => {
    const noWrite = await as(patientToken, '/Observation', { method: 'POST', body: obs('x', 'Patient/p1') });
    assert.match(noWrite.headers.get('www-authenticate') ?? '', /insufficient_scope/);
  });

  it('writes need write scopes; a write token still cannot write outside its compartment', async () => {
    const noWrite = await as(patientToken, '/Observation', { method: 'POST', body: obs('x', 'Patient/p1') });
    assert.equal(noWrite.status, 403);
    assert.equal(noWrite.body?.resourceType, 'OperationOutcome');
    const writer = await token(doc, 'launch/patient openid patient/*.cruds', 'p1');
    const own = await as(writer, '/Observation', {
      method: 'POST',
      body: { ...obs('x', 'Patient/p1'), id: undefined },
    });
    assert.equal(own.status, 201, own.text);
    const other = await as(writer, '/Observation', {
      method: 'POST',
      body: { ...obs('x', 'Patient/p2'), id: undefined },
    });
    assert.ok(other.status === 403 || other.status === 422 || other.status === 400, `create for p2 → ${other.status}`);
    const del = await as(writer, '/Observation/o2', { method: 'DELETE' });
    assert.ok(refused(del.status), `delete o2 → ${del.status}`);
    assert.equal(
      (
        await srv.fhir('/Observation/o2', {
          headers: { authorization: `Bearer ${await token(doc, 'openid user/*.rs')}` },
        })
      ).status,
      200,
      'o2 still there',
    );
  });

  it('a transaction cannot read or write another patient', async () => {
    const writer = await token(doc, 'launch/patient openid patient/*.cruds', 'p1');
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'GET', url: 'Patient/p2' } },
        { resource: { ...obs('t', 'Patient/p2'), id: undefined }, request: { method: 'POST', url: 'Observation' } },
      ],
    };
    const r = await as(writer, '/', { method: 'POST', body: bundle });
    assert.ok(r.status >= 400, `transaction → ${r.status}`);
    assert.ok(!r.text.includes('Secret'));
    const batch = await as(writer, '/', { method: 'POST', body: { ...bundle, type: 'batch' } });
    if (batch.status === 200)
      for (const e of batch.body.entry ?? [])
        assert.ok(!String(e.response?.status).startsWith('2'), JSON.stringify(e.response));
  });

  it('a v2 scope constraint (category=laboratory) limits what a search sees', async () => {
    const lab = await token(
      pat,
      'launch/patient openid patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory',
    );
    assert.deepEqual(ids((await as(lab, '/Observation')).body), ['Observation/o1']);
  });

  it('a v2 scope constraint also limits read', async () => {
    const lab = await token(
      pat,
      'launch/patient openid patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory',
    );
    const o3 = await as(lab, '/Observation/o3');
    assert.ok(refused(o3.status), `read of a vital-signs Observation with a laboratory-only scope → ${o3.status}`);
  });
});
