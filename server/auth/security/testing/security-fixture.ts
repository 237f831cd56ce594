/**
 * The security suite's world (issue 15): the real application with its own SMART server (NILECARE_AUTH=smart,
 * nilecare_auth on MariaDB, Redis, AuditEvents written to the FHIR store) over a throw-away PostgreSQL database,
 * two patients A and B, and tokens obtained only through the real flows (authorization code with PKCE through the
 * login and consent pages, refresh, backend services with a signed assertion).
 *
 * Patient B's data carries marker values (`B_MARKERS`) that no answer to a caller without access to B may contain:
 * `assertNoB(text)` checks a response body for every one of them.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Resource } from '@medplum/fhirtypes';
import { createTestDatabase, type TestDatabase } from '../../../migrate/testing/test-databases.js';
import { openPostgresStore } from '../../../store/postgres/open-postgres-store.js';
import type { ResourceStore } from '../../../store/resource-store.js';
import { startTestServer, type FhirTestResponse, type TestServer } from '../../../testing/test-server.js';
import type { SmartAuth } from '../../smart-auth.js';
import { createAuthDbFixture, type AuthDbFixture, type TestUser } from '../../testing/auth-test-server.js';
import { authorizeUrl, Browser, exchangeCode, pkce, signInAndConsent } from '../../testing/browser.js';

export const REDIRECT = 'http://127.0.0.1:9/cb';
export const APP = 'sec-app';
export const ADMIN_PASSWORD = `Admin-${randomUUID()}`;
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const LAB_SCOPE = `patient/Observation.rs?category=${CATEGORY}|laboratory`;

/** Values only patient B's data holds. */
export const B_MARKERS = [
  'Bsecretfamily',
  '1961-03-17',
  '+249-555-0199',
  'HIV-1 RNA B-result',
  'B-viral-load-88412',
  'Qi1iaW5hcnktc2VjcmV0LXRleHQ', // base64 of "B-binary-secret-text"
  'Bsecret-vital-120',
  'Bsecret-condition',
  'Bsecret-doctor',
] as const;

export function assertNoB(text: string, what: string): void {
  for (const m of B_MARKERS) assert.ok(!text.includes(m), `${what}: the answer shows patient B's "${m}"`);
}

/** A response body without the Bundle's links (they echo the query the caller sent, markers included). */
export function withoutLinks(r: { text: string; body?: unknown }): string {
  const b = r.body as { resourceType?: string; link?: unknown } | undefined;
  if (b?.resourceType !== 'Bundle') return r.text;
  return JSON.stringify({ ...b, link: undefined });
}

const cat = (code: string) => [{ coding: [{ system: CATEGORY, code }] }];

/** A's and B's records. Ids are fixed; B's values are the markers above. */
export function seedResources(): Resource[] {
  return [
    { resourceType: 'Practitioner', id: 'pr-a', name: [{ family: 'Ahmed', given: ['Doctor'] }] },
    { resourceType: 'Practitioner', id: 'pr-b', name: [{ family: 'Bsecret-doctor' }] },
    { resourceType: 'Organization', id: 'org-a', name: 'Khartoum Teaching Hospital' },
    {
      resourceType: 'Location',
      id: 'loc-a',
      name: 'Ward 3',
      managingOrganization: { reference: 'Organization/org-a' },
    },
    { resourceType: 'Medication', id: 'med-a', code: { text: 'Amoxicillin 500 mg' } },
    {
      resourceType: 'Patient',
      id: 'pa',
      name: [{ family: 'Alpha', given: ['Amna'] }],
      gender: 'female',
      birthDate: '1990-01-02',
      generalPractitioner: [{ reference: 'Practitioner/pr-a' }],
      managingOrganization: { reference: 'Organization/org-a' },
    },
    {
      resourceType: 'Patient',
      id: 'pb',
      identifier: [{ system: 'urn:nilecare:mrn', value: 'MRN-B-1' }],
      name: [{ family: 'Bsecretfamily', given: ['Babiker'] }],
      gender: 'male',
      birthDate: '1961-03-17',
      telecom: [{ system: 'phone', value: '+249-555-0199' }],
      generalPractitioner: [{ reference: 'Practitioner/pr-b' }],
    },
    {
      resourceType: 'Binary',
      id: 'bin-b',
      contentType: 'text/plain',
      securityContext: { reference: 'Patient/pb' },
      data: 'Qi1iaW5hcnktc2VjcmV0LXRleHQ=',
    },
    {
      resourceType: 'Observation',
      id: 'oa-lab',
      status: 'final',
      category: cat('laboratory'),
      code: { text: 'Haemoglobin' },
      subject: { reference: 'Patient/pa' },
      performer: [{ reference: 'Practitioner/pr-a' }],
      valueString: 'A-haemoglobin-12',
    },
    {
      resourceType: 'Observation',
      id: 'oa-vital',
      status: 'final',
      category: cat('vital-signs'),
      code: { text: 'Blood pressure' },
      subject: { reference: 'Patient/pa' },
      // One of A's resources refers to B's Binary (the $everything leak of item 3).
      focus: [{ reference: 'Binary/bin-b' }],
      valueString: 'A-vital-110',
    },
    {
      resourceType: 'Observation',
      id: 'ob-hiv',
      status: 'final',
      identifier: [{ system: 'urn:nilecare:obs', value: 'OBS-B-HIV' }],
      category: cat('laboratory'),
      code: { text: 'HIV-1 RNA B-result' },
      subject: { reference: 'Patient/pb' },
      valueString: 'B-viral-load-88412',
    },
    {
      resourceType: 'Observation',
      id: 'ob-vital',
      status: 'final',
      category: cat('vital-signs'),
      code: { text: 'Pulse' },
      subject: { reference: 'Patient/pb' },
      valueString: 'Bsecret-vital-120',
    },
    {
      resourceType: 'Condition',
      id: 'cb',
      subject: { reference: 'Patient/pb' },
      code: { text: 'Bsecret-condition' },
    },
    {
      resourceType: 'Encounter',
      id: 'ea',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: 'Patient/pa' },
      location: [{ location: { reference: 'Location/loc-a' } }],
      serviceProvider: { reference: 'Organization/org-a' },
    },
    {
      resourceType: 'Encounter',
      id: 'eb',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: 'Patient/pb' },
      participant: [{ individual: { reference: 'Practitioner/pr-b' } }],
    },
    {
      resourceType: 'MedicationRequest',
      id: 'mra',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/pa' },
      medicationReference: { reference: 'Medication/med-a' },
    },
    {
      resourceType: 'Group',
      id: 'gb',
      type: 'person',
      actual: true,
      member: [{ entity: { reference: 'Patient/pb' } }],
    },
  ] as Resource[];
}

/** Ids of B's resources (and of what only B's record refers to). */
export const B_KEYS = [
  'Patient/pb',
  'Binary/bin-b',
  'Observation/ob-hiv',
  'Observation/ob-vital',
  'Condition/cb',
  'Encounter/eb',
  'Practitioner/pr-b',
  'Group/gb',
];

export type TokenResponse = { status: number; body: Record<string, unknown> };

export type SecurityWorld = {
  srv: TestServer;
  auth: SmartAuth;
  fx: AuthDbFixture;
  store: ResourceStore;
  /** The throw-away PostgreSQL database of the FHIR store. */
  pgUrl: string;
  origin: string;
  patientUser: TestUser;
  doctor: TestUser;
  auditor: TestUser;
  /** Authorization code + PKCE through the login and consent pages; `patient` is picked on the consent page. */
  tokenResponse(
    user: TestUser | { username: string; password: string },
    scope: string,
    opts?: { patient?: string; clientId?: string; redirectUri?: string },
  ): Promise<TokenResponse>;
  token(
    user: TestUser | { username: string; password: string },
    scope: string,
    opts?: { patient?: string; clientId?: string; redirectUri?: string },
  ): Promise<string>;
  refresh(refreshToken: string, clientId?: string): Promise<TokenResponse>;
  /** A backend service (private_key_jwt, ES384) registered for `system/*.rs`. */
  backendToken(scope: string): Promise<string>;
  /** A signed client assertion for the backend client, with a chosen lifetime. */
  assertion(expiresIn: string): Promise<string>;
  as(
    token: string,
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string },
  ): Promise<FhirTestResponse>;
  /** The stored current version, read past any access decision. */
  stored(type: string, id: string): Promise<Resource | undefined>;
  close(): Promise<void>;
};

export const admin = { username: 'admin', password: ADMIN_PASSWORD };

export async function startSecurityWorld(env: Record<string, string> = {}): Promise<SecurityWorld> {
  const fx = await createAuthDbFixture();
  const pgDb: TestDatabase = await createTestDatabase('postgres', 'fhir');
  const store = await openPostgresStore({ url: pgDb.url, poolSize: 6 });
  const dir = await mkdtemp(join(tmpdir(), 'nilecare-security-'));
  const srv = await startTestServer(store, {
    env: {
      NILECARE_AUTH: 'smart',
      AUTH_MYSQL_URL: fx.url,
      AUTH_KEYS_DIR: join(dir, 'keys'),
      NILECARE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      EXPORT_DIR: join(dir, 'exports'),
      ...env,
    },
    authRedisPrefix: fx.redisPrefix,
  });
  const auth = srv.app.auth as SmartAuth;
  const origin = new URL(srv.baseUrl).origin;
  for (const r of seedResources()) await srv.app.systemClient.request('PUT', `${r.resourceType}/${r.id}`, r);

  const patientUser = await fx.addUser({ username: 'amna', role: 'patient', fhirUser: 'Patient/pa' });
  const doctor = await fx.addUser({ username: 'dr-ahmed', role: 'doctor', fhirUser: 'Practitioner/pr-a' });
  const auditor = await fx.addUser({ username: 'auditor', role: 'auditor', fhirUser: 'Practitioner/pr-a' });
  await auth.registerClient({
    client_id: APP,
    client_name: 'Third-party app',
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'none',
    scope:
      'openid fhirUser launch launch/patient offline_access patient/*.cruds user/*.cruds patient/*.read patient/*.write user/AuditEvent.rs',
  });
  const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
  await auth.registerClient({
    client_id: 'sec-bulk',
    client_name: 'Backend',
    token_endpoint_auth_method: 'private_key_jwt',
    scope: 'system/*.rs',
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES384' }] },
  });

  const tokenResponse: SecurityWorld['tokenResponse'] = async (user, scope, opts = {}) => {
    const clientId = opts.clientId ?? APP;
    const redirectUri = opts.redirectUri ?? REDIRECT;
    const { verifier, challenge } = pkce();
    const r = await signInAndConsent(
      new Browser(),
      authorizeUrl({ base: origin, fhirBase: srv.baseUrl, clientId, redirectUri, scope, challenge }),
      redirectUri,
      { login: user.username, password: user.password, ...(opts.patient ? { patient: opts.patient } : {}) },
    );
    const code = r.redirect?.searchParams.get('code');
    assert.ok(code, `no code for ${user.username} (${scope}): ${r.redirect?.search ?? r.lastHtml?.slice(0, 500)}`);
    return exchangeCode(origin, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: clientId,
      code_verifier: verifier,
    });
  };
  const assertion = (expiresIn: string) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES384', kid: 'k1' })
      .setIssuer('sec-bulk')
      .setSubject('sec-bulk')
      .setAudience(`${origin}/auth/token`)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(privateKey);

  return {
    srv,
    auth,
    fx,
    store,
    pgUrl: pgDb.url,
    origin,
    patientUser,
    doctor,
    auditor,
    tokenResponse,
    async token(user, scope, opts) {
      const res = await tokenResponse(user, scope, opts);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return String(res.body.access_token);
    },
    refresh: (refreshToken, clientId = APP) =>
      exchangeCode(origin, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId }),
    async backendToken(scope) {
      const res = await exchangeCode(origin, {
        grant_type: 'client_credentials',
        scope,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await assertion('5m'),
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return String(res.body.access_token);
    },
    assertion,
    as: (token, path, init = {}) =>
      srv.fhir(path, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } }),
    async stored(type, id) {
      const v = await srv.app.store.read(type, id); // the app's view: AuditEvents are audit rows beside the store
      return v?.resource ?? undefined;
    },
    async close() {
      await srv?.close();
      await store?.close();
      await pgDb?.drop();
      await rm(dir, { recursive: true, force: true });
      await fx?.drop();
    },
  };
}

/** The entries of a Bundle as `Type/id`, sorted. */
export const keysOf = (bundle: { entry?: Array<{ resource?: Resource }> } | undefined): string[] =>
  (bundle?.entry ?? [])
    .filter((e) => e.resource)
    .map((e) => `${e.resource!.resourceType}/${e.resource!.id}`)
    .sort();
