/**
 * The console end to end in headless Chromium: the real app (PGlite, the embedded default) with a few Synthea
 * patients, the real SMART authorisation server (nilecare_auth on MySQL, Redis), the console router with an
 * in-memory AdminApi. Signs in through the login and consent pages, searches, opens a patient chart, compares
 * versions, replays a failed HL7 message, retries a dead letter; screenshots go to test-artifacts/console/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { FULL_ACCESS } from '../fhir/access-policy.js';
import { forbidden } from '../fhir/errors.js';
import { SYNTHEA, syntheaPipesFiles } from '../fhir/bundle/transaction-contract.js';
import { pgliteTestStore } from '../store/postgres/test-stores.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { createSmartAuth, type SmartAuth } from '../auth/smart-auth.js';
import type { SmartAccessPolicy } from '../auth/scope-policy.js';
import { createAuthDbFixture, type AuthDbFixture, type TestUser } from '../auth/testing/auth-test-server.js';
import { consoleRouter } from './console-router.js';
import { fakeAdminApi, type FakeAdminApi } from './testing/fake-admin-api.js';
import { CHROMIUM_SKIP, launchChromium, newPage, screenshot } from './testing/chromium.js';

const PATIENT_BUNDLES = 4;
const skip = CHROMIUM_SKIP || (existsSync(SYNTHEA) ? false : `Synthea corpus absent at ${SYNTHEA}`);

describe('operations console in headless Chromium', { skip, timeout: 120_000 }, () => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let fx: AuthDbFixture;
  let auth: SmartAuth | undefined;
  let admin: FakeAdminApi;
  let browser: Browser;
  let origin: string;
  let adminUser: TestUser;
  let doctor: TestUser;
  const loader = `Bearer loader-${randomBytes(12).toString('hex')}`;

  before(async () => {
    const s = await pgliteTestStore();
    dispose = s.dispose;
    server = await startTestServer(s.store, {
      resolveAccess: async (req) => {
        if (req.get('authorization') === loader) return FULL_ACCESS;
        if (!auth) throw forbidden('auth not ready');
        return auth.authenticate(req.get('authorization'));
      },
    });
    origin = new URL(server.baseUrl).origin;
    fx = await createAuthDbFixture();
    auth = await createSmartAuth({ issuer: origin, fhirBaseUrl: server.baseUrl, mysqlUrl: fx.url, redisPrefix: fx.redisPrefix, onError: () => undefined });
    admin = fakeAdminApi();
    const authorizeAdmin = async (header: string | undefined) => {
      const policy = (await auth!.authenticate(header)) as SmartAccessPolicy;
      const [rows] = await fx.db.query('SELECT role FROM auth_users WHERE id = ?', [policy.userId ?? '']);
      if ((rows as Array<{ role: string }>)[0]?.role !== 'admin') throw forbidden('The operations console needs the admin role');
    };
    server.app.express.use(auth.router);
    server.app.express.use('/console', consoleRouter({ fhirBaseUrl: server.baseUrl, issuer: origin, clientId: 'nilecare-console', admin, authorizeAdmin }));
    await auth.registerClient({ client_id: 'nilecare-console', client_name: 'NileCare console', redirect_uris: [`${origin}/console/`], token_endpoint_auth_method: 'none', scope: 'openid fhirUser user/*.cruds' });
    adminUser = await fx.addUser({ username: 'console-admin', role: 'admin', fhirUser: 'Practitioner/admin-1' });
    doctor = await fx.addUser({ username: 'dr-console', role: 'doctor', fhirUser: 'Practitioner/doc-1' });

    const { reference, patients } = syntheaPipesFiles();
    for (const file of [...reference, ...patients.slice(0, PATIENT_BUNDLES)]) {
      const res = await server.fhir('/', { method: 'POST', body: JSON.parse(readFileSync(file, 'utf8')), headers: { authorization: loader } });
      assert.equal(res.status, 200, `${file}: ${res.text.slice(0, 300)}`);
    }
    // A patient whose name is markup (it must show as text) and who has two versions (for the diff).
    const created = await server.fhir('/Patient', { method: 'POST', body: { resourceType: 'Patient', name: [{ family: '<img src=x onerror=alert(1)>', given: ['Zz'] }], gender: 'female' }, headers: { authorization: loader } });
    assert.equal(created.status, 201);
    const v2 = { ...created.body, birthDate: '1990-05-06' };
    assert.equal((await server.fhir(`/Patient/${created.body.id}`, { method: 'PUT', body: v2, headers: { authorization: loader } })).status, 200);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await dispose?.();
    await auth?.close();
    await fx?.drop();
  });

  async function signIn(user: TestUser) {
    const { page, errors } = await newPage(browser);
    await page.goto(`${origin}/console/`);
    await page.click('#sign-in');
    await page.waitForSelector('input[name=password]');
    await screenshot(page, '01-login');
    await page.fill('#login', user.username);
    await page.fill('#password', user.password);
    await page.click('button[type=submit]');
    await page.click('button[value=allow]');
    return { page, errors };
  }

  it('signs an administrator in, loads the patient list fast, searches, opens a patient, diffs versions and replays a failed HL7 message', async () => {
    const { page, errors } = await signIn(adminUser);
    try {
      await adminJourney(page, errors);
    } catch (e) {
      await screenshot(page, 'failure-admin').catch(() => undefined);
      throw e;
    }
    await page.context().close();
  });

  async function adminJourney(page: Page, errors: string[]) {
    await page.waitForSelector('#patient-list[data-ready=true] a.patient-link');
    assert.equal(new URL(page.url()).search, '', 'the code and state are removed from the address bar');
    assert.match((await page.textContent('#who')) ?? '', /Practitioner\/admin-1/);
    await screenshot(page, '02-patients');
    const patientCount = await page.locator('#patient-list a.patient-link').count();
    assert.equal(patientCount, PATIENT_BUNDLES + 1);
    assert.equal(await page.locator('#patient-list img').count(), 0, 'markup in a name is not interpreted');
    assert.equal(await page.getByText('<img src=x onerror=alert(1)>', { exact: false }).count(), 1);

    // Load time: navigation to the first render of the patient list (token already in sessionStorage).
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      await page.goto(`${origin}/console/?load=${i}#/patients`);
      await page.waitForSelector('#patient-list[data-ready=true] a.patient-link');
      times.push(Date.now() - started);
    }
    console.log(`# console load (navigation → patient list rendered), ${PATIENT_BUNDLES} Synthea patients on PGlite: ${times.join(', ')} ms`);
    assert.ok(Math.min(...times) < 1000, `the console loads in under a second (${times.join(', ')} ms)`);

    // Resource browser: FHIR search syntax, a resource as JSON, its history and a diff.
    await page.click('nav a[data-section=resources]');
    const sample = await server.fhir('/Observation?_count=1', { headers: { authorization: loader } });
    const coding = sample.body.entry[0].resource.code.coding[0] as { system: string; code: string };
    await page.fill('#search-query', `Observation?code=${coding.system}|${coding.code}&_count=5`);
    await page.press('#search-query', 'Enter');
    await page.waitForSelector('#search-results table.results tbody tr');
    const found = await page.locator('#search-results table.results tbody tr').count();
    assert.ok(found > 0 && found <= 5, `observations with code ${coding.code} found: ${found}`);
    await screenshot(page, '03-search');
    await page.locator('#search-results table.results tbody tr a').first().click();
    await page.waitForSelector('#resource-json');
    const json = JSON.parse((await page.textContent('#resource-json')) ?? '{}');
    assert.equal(json.resourceType, 'Observation');
    assert.equal(json.code.coding[0].code, coding.code);

    await page.goto(`${origin}/console/#/resources?q=${encodeURIComponent('Patient?birthdate=1990-05-06')}`);
    await page.waitForSelector('#search-results table.results tbody tr a');
    await page.locator('#search-results table.results tbody tr a').first().click();
    await page.waitForSelector('#diff table');
    const diffText = (await page.textContent('#diff')) ?? '';
    assert.match(diffText, /birthDate/);
    assert.match(diffText, /added/);
    await screenshot(page, '04-resource-diff');

    // Patient chart: demographics, encounters timeline, conditions, observations with trends.
    await page.click('nav a[data-section=patients]');
    const firstLink = page.locator('#patient-list a.patient-link').filter({ hasNotText: '<img' }).first();
    await firstLink.waitFor();
    const name = (await firstLink.textContent()) ?? '';
    await firstLink.click();
    await page.waitForSelector('#observations');
    assert.equal(await page.textContent('#patient-name-heading'), name);
    assert.ok((await page.locator('svg.timeline rect.event').count()) > 0, 'encounters on the timeline');
    assert.ok((await page.locator('#observations tbody tr').count()) > 0, 'latest observations');
    assert.ok((await page.locator('#observations svg.sparkline').count()) > 0, 'trend charts');
    await screenshot(page, '05-patient-chart');

    // HL7 log: filter failed messages, open one segment by segment, replay it, see the new ACK.
    await page.click('nav a[data-section=hl7]');
    await page.selectOption('select[name=status]', 'failed');
    await page.click('#view form button[type=submit]');
    await page.waitForURL(/status=failed/);
    await page.waitForSelector('#hl7-list table tbody tr');
    assert.equal(await page.locator('#hl7-list table tbody tr').count(), 1);
    await page.locator('#hl7-list table tbody tr a').first().click();
    await page.waitForSelector('#message-segments');
    const obx5 = page.locator('#message-segments tr', { hasText: 'OBX-5' });
    assert.match((await obx5.textContent()) ?? '', /Observation Value.*not-a-number/);
    assert.match((await page.locator('#ack-segments tr', { hasText: 'MSA-1' }).textContent()) ?? '', /Acknowledgment Code\s*AE/);
    assert.equal(await page.textContent('#message-status'), 'failed');
    await screenshot(page, '06-hl7-failed');
    await page.click('#replay');
    await page.waitForSelector('#replay-outcome');
    assert.match((await page.textContent('#replay-outcome')) ?? '', /Replayed: processed/);
    assert.equal(await page.textContent('#message-status'), 'processed');
    assert.match((await page.locator('#ack-segments tr', { hasText: 'MSA-1' }).textContent()) ?? '', /AA/);
    assert.equal(await page.locator('#replay').count(), 0, 'a processed message offers no replay');
    assert.deepEqual(admin.replays, ['6f1c0a52-0000-4000-8000-000000000002']);
    await screenshot(page, '07-hl7-replayed');

    // Projections: a dead letter with its error, retried; health.
    await page.click('nav a[data-section=projections]');
    await page.locator('#projections button.link').click();
    await page.waitForSelector('#dead-letters button.retry');
    assert.match((await page.textContent('#dead-letters')) ?? '', /Duplicate entry for key fhir_id/);
    await screenshot(page, '08-dead-letters');
    await page.click('#dead-letters button.retry');
    await page.waitForFunction(() => document.querySelector('#projections tbody tr td:last-child')?.textContent === '0');
    assert.deepEqual(admin.retries, [{ projection: 'mysql-billing', id: 'dl-1' }]);
    await page.click('nav a[data-section=health]');
    await page.waitForSelector('#health tbody tr');
    assert.match((await page.locator('#health tr', { hasText: 'MLLP listener' }).textContent()) ?? '', /down/);
    await screenshot(page, '09-health');
    assert.deepEqual(errors, []);
  }

  it('a signed-in doctor sees FHIR data but the admin pages are refused (403)', async () => {
    const replaysBefore = admin.replays.length;
    const { page, errors } = await signIn(doctor);
    await page.waitForSelector('#patient-list[data-ready=true] a.patient-link');
    await page.click('nav a[data-section=hl7]');
    await page.waitForSelector('#hl7-list .error');
    assert.match((await page.textContent('#hl7-list .error')) ?? '', /HTTP 403: The operations console needs the admin role/);
    await screenshot(page, '10-doctor-refused');
    assert.deepEqual(errors.filter((e) => !/^HTTP 403 GET .*\/console\/api\/hl7\/messages/.test(e)), []);
    assert.ok(errors.length > 0, 'the refused admin call is seen');
    assert.equal(admin.replays.length, replaysBefore, 'nothing was replayed');
    await page.context().close();
  });
});
