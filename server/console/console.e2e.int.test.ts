/**
 * The console end to end in headless Chromium, on the real composition (server/start-server.ts, as `npm start`):
 * PGlite (the embedded default) with a few Synthea patients, SMART authorisation on (nilecare_auth on MariaDB,
 * Redis; the first administrator created by the server itself), the HL7 v2 listener on a throw-away
 * nilecare_interop, real projection dispatchers into throw-away targets, the real AdminApi. Signs in through the
 * login and consent pages, searches, opens a patient chart, compares versions, replays an HL7 message that the
 * FHIR store refused (after fixing the cause), retries a dead letter; screenshots go to test-artifacts/console/.
 * The load time is printed here; the figure with the whole Synthea corpus comes from bench/console-load.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { pino } from 'pino';
import { SYNTHEA, syntheaPipesFiles } from '../fhir/bundle/testing/transaction-contract.js';
import { loadConfig } from '../config.js';
import { startServer, type StartedServer } from '../start-server.js';
import { createAuthDbFixture, type AuthDbFixture, type TestUser } from '../auth/testing/auth-test-server.js';
import { createTestDatabase, type TestDatabase } from '../migrate/testing/test-databases.js';
import { MllpClient } from '../../adapters/hl7v2/mllp/mllp-client.js';
import { startProjections } from '../../adapters/outbox/start-projections.js';
import { createTestTargets, type TestTargets } from '../../adapters/outbox/testing/target-databases.js';
import { CHROMIUM_SKIP, launchChromium, newPage, screenshot } from './testing/chromium.js';
import { freePort } from './testing/free-port.js';
import { startTestServer } from '../testing/test-server.js';
import { corpusMissing } from '../testing/corpus.js';

const PATIENT_BUNDLES = 4;
const skip = CHROMIUM_SKIP || corpusMissing(join(SYNTHEA, 'fhir-data-pipes-2021'));
const ADMIN_PASSWORD = `console-${randomBytes(9).toString('base64url')}`;

const adt = (event: 'A01' | 'A08', controlId: string) =>
  [
    `MSH|^~\\&|ADT1|NILE_HOSP|NILECARE|NILECARE|20260301120000||ADT^${event}|${controlId}|P|2.5.1`,
    'PID|1||MRN-E2E^^^NILE^MR||Osman^Amira||19850214|F',
    'PV1|1|O',
  ].join('\r');

describe('operations console in headless Chromium (real server composition)', { skip, timeout: 300_000 }, () => {
  let server: StartedServer;
  let fx: AuthDbFixture;
  let interop: TestDatabase;
  let targets: TestTargets;
  let keysDir: string;
  let browser: Browser;
  let origin: string;
  let doctor: TestUser;
  let twinId: string;
  let family: string;
  const fhir = () => server.app.systemClient;

  before(async () => {
    fx = await createAuthDbFixture();
    interop = await createTestDatabase('mysql', 'nilecare_interop');
    targets = await createTestTargets();
    keysDir = mkdtempSync(join(tmpdir(), 'nilecare-console-keys-'));
    const port = await freePort();
    const config = loadConfig({
      PORT: String(port),
      LOG_LEVEL: 'silent',
      NILECARE_AUTH: 'smart',
      AUTH_MYSQL_URL: fx.url,
      REDIS_URL: 'redis://127.0.0.1:6379', // the SMART state in Redis (under fx.redisPrefix), shown in the health table
      AUTH_KEYS_DIR: keysDir,
      NILECARE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      INTEROP_MYSQL_URL: interop.url,
      MLLP_PORT: '0',
      EXPORT_DIR: join(keysDir, 'exports'),
    });
    const { openPgliteTestStore } = await import('../store/postgres/testing/pglite-template.js');
    const store = await openPgliteTestStore();
    server = await startServer(config, {
      app: { store, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), authRedisPrefix: fx.redisPrefix },
      // Real dispatchers; no automatic dead-letter retries, so the console's retry is the one that delivers.
      projections: async (s, logger) => ({
        running: await startProjections({
          store: s,
          targets: targets.targets,
          logger,
          pollIntervalMs: 50,
          maxAttempts: 1,
        }),
        targets: targets.targets,
      }),
    });
    origin = `http://127.0.0.1:${port}`;
    doctor = await fx.addUser({ username: 'dr-console', role: 'doctor', fhirUser: 'Practitioner/doc-1' });

    const { reference, patients } = syntheaPipesFiles();
    for (const file of [...reference, ...patients.slice(0, PATIENT_BUNDLES)])
      await fhir().transaction(JSON.parse(readFileSync(file, 'utf8')) as Bundle);
    // The chart is opened for the loaded patient with the most observations (some Synthea children have none).
    const loaded = patients.slice(0, PATIENT_BUNDLES).map((f) => JSON.parse(readFileSync(f, 'utf8')) as Bundle);
    const observations = (b: Bundle) => b.entry!.filter((e) => e.resource?.resourceType === 'Observation').length;
    const richest = loaded.sort((a, b) => observations(b) - observations(a))[0]!;
    family = (richest.entry!.find((e) => e.resource?.resourceType === 'Patient')!.resource as Patient).name![0]!
      .family!;
    // A patient whose name is markup (it must show as text) and who has two versions (for the diff).
    const created = await fhir().request('POST', 'Patient', {
      resourceType: 'Patient',
      name: [{ family: '<img src=x onerror=alert(1)>', given: ['Zz'] }],
      gender: 'female',
    });
    const zz = created.resource as Patient;
    await fhir().request('PUT', `Patient/${zz.id}`, { ...zz, birthDate: '1990-05-06' });

    // An HL7 message the FHIR store refuses: two patients share the identifier the ADT^A08 updates by (412).
    const mllp = new MllpClient({ host: '127.0.0.1', port: server.hl7!.server.port, timeoutMs: 60_000 });
    assert.match(await mllp.send(adt('A01', 'E2E-1')), /MSA\|AA/);
    const first = ((await fhir().request('GET', 'Patient?identifier=MRN-E2E')).resource as Bundle).entry![0]!
      .resource as Patient;
    twinId = (
      (
        await fhir().request('POST', 'Patient', {
          resourceType: 'Patient',
          identifier: first.identifier,
          name: [{ family: 'Twin' }],
        })
      ).resource as Patient
    ).id!;
    assert.match(await mllp.send(adt('A08', 'E2E-2')), /MSA\|AE/);
    await mllp.close();

    // A prescription the medication projection cannot place yet (its Medication is missing): a dead letter.
    await fhir().request('PUT', 'MedicationRequest/mr-e2e', {
      resourceType: 'MedicationRequest',
      id: 'mr-e2e',
      status: 'active',
      intent: 'order',
      subject: { reference: `Patient/${zz.id}` },
      requester: { reference: 'Practitioner/dr-e2e' },
      medicationReference: { reference: 'Medication/med-e2e' },
      authoredOn: '2025-06-01',
    });
    await server.projections!.caughtUp(120_000);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await server?.app.store.close();
    await targets?.drop();
    await interop?.drop();
    await fx?.drop();
    if (keysDir) rmSync(keysDir, { recursive: true, force: true });
  });

  async function signIn(username: string, password: string) {
    const { page, errors } = await newPage(browser);
    await page.goto(`${origin}/console/`);
    await page.click('#sign-in');
    await page.waitForSelector('input[name=password]');
    await screenshot(page, '01-login');
    await page.fill('#login', username);
    await page.fill('#password', password);
    await page.click('button[type=submit]');
    // the console is the server's own client: no consent page, straight back to the console (issue 26 item 9)
    await page.waitForURL((u) => u.pathname === '/console/' && !u.searchParams.has('code'));
    assert.equal(await page.locator('button[value=allow]').count(), 0);
    return { page, errors };
  }

  it('signs the first administrator in, searches, opens a patient, diffs versions, replays a refused HL7 message and retries a dead letter', async () => {
    const { page, errors } = await signIn('admin', ADMIN_PASSWORD);
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
    // the signed-in user's name (here the username: the first admin has no first/last name), not Practitioner/admin
    assert.equal((await page.textContent('#who'))?.trim(), 'admin');
    await screenshot(page, '02-patients');
    assert.ok((await page.locator('#patient-list a.patient-link').count()) >= PATIENT_BUNDLES + 1);
    assert.equal(await page.locator('#patient-list img').count(), 0, 'markup in a name is not interpreted');
    assert.equal(await page.getByText('<img src=x onerror=alert(1)>', { exact: false }).count(), 1);

    // Load time (information; bench/console-load.ts measures it with the whole corpus): navigation to the
    // first render of the patient list, token already in sessionStorage.
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      await page.goto(`${origin}/console/?load=${i}#/patients`);
      await page.waitForSelector('#patient-list[data-ready=true] a.patient-link');
      times.push(Date.now() - started);
    }
    console.log(
      `# console load (navigation → patient list rendered), ${PATIENT_BUNDLES} Synthea patients on PGlite: ${times.join(', ')} ms`,
    );

    // Resource browser: FHIR search syntax, a resource as JSON, its history and a diff.
    await page.click('nav a[data-section=resources]');
    const sample = (await fhir().request('GET', 'Observation?_count=1')).resource as Bundle;
    const coding = (sample.entry![0]!.resource as { code: { coding: Array<{ system: string; code: string }> } }).code
      .coding[0]!;
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

    // An ignored search parameter is a warning above the results, not a blank row among them.
    await page.goto(
      `${origin}/console/#/resources?q=${encodeURIComponent('Patient?birthdate=1990-05-06&colour=blue')}`,
    );
    await page.waitForSelector('#search-results table.results');
    assert.match(
      (await page.textContent('#search-results p.warning')) ?? '',
      /^warning: Parameter 'colour' was ignored/,
    );
    const resultRows = page.locator('#search-results table.results tbody tr');
    for (let i = 0; i < (await resultRows.count()); i++)
      assert.match((await resultRows.nth(i).textContent()) ?? '', /^Patient/, 'every row is a result');

    // Patient chart: demographics, encounters timeline, conditions, observations with trends.
    await page.click('nav a[data-section=patients]');
    await page.waitForSelector('#patient-list[data-ready=true]');
    await page.fill('#patient-name', family);
    await page.press('#patient-name', 'Enter');
    await page.waitForURL(/name=/);
    await page.waitForSelector('#patient-list[data-ready=true] a.patient-link');
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

    // HL7 log: filter failed messages, open one segment by segment with its AE acknowledgement.
    await page.click('nav a[data-section=hl7]');
    await page.waitForSelector('#hl7-list table tbody tr');
    assert.equal(await page.locator('#hl7-list table tbody tr').count(), 2, 'the accepted A01 and the refused A08');
    await page.selectOption('select[name=status]', 'failed');
    await page.click('#view form button[type=submit]');
    await page.waitForURL(/status=failed/);
    await page.waitForFunction(() => document.querySelectorAll('#hl7-list table tbody tr').length === 1);
    await page.locator('#hl7-list table tbody tr a').first().click();
    await page.waitForSelector('#message-segments');
    assert.match(
      (await page.locator('#message-segments tr', { hasText: 'PID-3' }).textContent()) ?? '',
      /Patient Identifier List.*MRN-E2E/,
    );
    assert.match(
      (await page.locator('#ack-segments tr', { hasText: 'MSA-1' }).textContent()) ?? '',
      /Acknowledgment Code\s*AE/,
    );
    assert.match((await page.textContent('#message-error')) ?? '', /FHIR 412/);
    assert.equal(await page.textContent('#message-status'), 'failed');
    await screenshot(page, '06-hl7-failed');
    // Fix the cause (remove the duplicate record), then replay from the console: processed, ACK AA.
    await fhir().request('DELETE', `Patient/${twinId}`);
    await page.click('#replay');
    await page.waitForSelector('#replay-outcome');
    assert.match((await page.textContent('#replay-outcome')) ?? '', /Replayed: processed \(AA\)/);
    assert.equal(await page.textContent('#message-status'), 'processed');
    assert.match((await page.locator('#ack-segments tr', { hasText: 'MSA-1' }).textContent()) ?? '', /AA/);
    assert.equal(await page.locator('#replay').count(), 0, 'a processed message offers no replay');
    assert.match((await page.textContent('#view')) ?? '', /replay 1: AA/);
    await screenshot(page, '07-hl7-replayed');

    // Projections: the dead letter with its error; fixed (the Medication now exists) and retried from the console.
    await page.click('nav a[data-section=projections]');
    await page.locator('#projections button.link').click();
    await page.waitForSelector('#dead-letters button.retry');
    assert.match(
      (await page.textContent('#dead-letters')) ?? '',
      /Medication\/med-e2e is not in the medication database/,
    );
    await screenshot(page, '08-dead-letters');
    // A retry from the console while the cause remains fails again, and says so.
    await page.click('#dead-letters button.retry');
    await page.waitForSelector('#retry-outcome');
    assert.match((await page.textContent('#retry-outcome')) ?? '', /MedicationRequest\/mr-e2e failed again/);
    // Fix the cause: the letter waited for that Medication, so once it is projected the letter lands by itself
    // (4f9b2c8: a letter is due at once when what it waits for is applied, retries exhausted or not).
    await fhir().request('PUT', 'Medication/med-e2e', {
      resourceType: 'Medication',
      id: 'med-e2e',
      status: 'active',
      code: {
        coding: [
          {
            system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
            code: '197361',
            display: 'Amlodipine 5 MG Oral Tablet',
          },
        ],
      },
    });
    await server.projections!.caughtUp(60_000);
    const medicationDeadLetters = async () => {
      await page.click('nav a[data-section=health]');
      await page.waitForSelector('#health');
      await page.click('nav a[data-section=projections]');
      await page.waitForSelector('#projections tr');
      return page.locator('#projections tr', { hasText: 'medication' }).locator('td').last().textContent();
    };
    let left = await medicationDeadLetters();
    for (let i = 0; i < 100 && left !== '0'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      left = await medicationDeadLetters();
    }
    assert.equal(left, '0', 'the dead letter landed once its Medication was projected');

    // Health: every configured component up, the MLLP listener included.
    await page.click('nav a[data-section=health]');
    await page.waitForSelector('#health tbody tr');
    for (const component of ['store', 'MySQL', 'PostgreSQL', 'Redis', 'MLLP listener']) {
      assert.match(
        (await page.locator('#health tr', { hasText: component }).first().textContent()) ?? '',
        /up/,
        component,
      );
    }
    assert.equal(await page.locator('#health tr.down').count(), 0);
    assert.match((await page.locator('#health tr', { hasText: 'PostgreSQL' }).textContent()) ?? '', /PostgreSQL \d+/);
    await screenshot(page, '09-health');
    assert.deepEqual(errors, []);

    // The admin role is read at each call: the same token loses the admin API once the account is demoted.
    const token = JSON.parse((await page.evaluate(() => sessionStorage.getItem('nilecare-console:token'))) ?? '{}')
      .accessToken as string;
    const health = () =>
      fetch(`${origin}/console/api/health`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    assert.equal(await health(), 200);
    await fx.db.query("UPDATE auth_users SET role = 'nurse' WHERE username = 'admin'");
    try {
      assert.equal(await health(), 403);
    } finally {
      await fx.db.query("UPDATE auth_users SET role = 'admin' WHERE username = 'admin'");
    }
  }

  it('a signed-in doctor sees FHIR data but the admin pages are refused (403)', async () => {
    const { page, errors } = await signIn(doctor.username, doctor.password);
    await page.waitForSelector('#patient-list[data-ready=true] a.patient-link');
    await page.click('nav a[data-section=hl7]');
    await page.waitForSelector('#hl7-list .error');
    assert.match(
      (await page.textContent('#hl7-list .error')) ?? '',
      /HTTP 403: The operations console needs a console sign-in \(admin scope\) by a user with the admin role/,
    );
    await screenshot(page, '10-doctor-refused');
    assert.deepEqual(
      errors.filter((e) => !/^HTTP 403 GET .*\/console\/api\/hl7\/messages/.test(e)),
      [],
    );
    assert.ok(errors.length > 0, 'the refused admin call is seen');
    await page.context().close();
  });

  it('with NILECARE_AUTH=disabled (development) the console opens without sign-in and its admin API answers', async () => {
    const { openPgliteTestStore } = await import('../store/postgres/testing/pglite-template.js');
    const store = await openPgliteTestStore();
    const dev = await startTestServer(store, { env: { NILECARE_AUTH: 'disabled', MLLP_PORT: '-1' } });
    try {
      await dev.fhir('/Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', name: [{ family: 'Devmode', given: ['Dana'] }] },
      });
      const { page, errors } = await newPage(browser);
      await page.goto(`${new URL(dev.baseUrl).origin}/console/`);
      await page.waitForSelector('#patient-list[data-ready=true] a.patient-link');
      assert.match((await page.textContent('#patient-list')) ?? '', /Dana Devmode/);
      assert.match((await page.textContent('#who')) ?? '', /authorisation disabled/);
      assert.equal(await page.isVisible('#sign'), false, 'no sign-in or sign-out button');
      await page.click('nav a[data-section=health]');
      await page.waitForSelector('#health tbody tr');
      assert.match((await page.locator('#health tr', { hasText: 'store' }).textContent()) ?? '', /up/);
      await page.click('nav a[data-section=hl7]');
      await page.waitForSelector('#hl7-list .error');
      assert.match((await page.textContent('#hl7-list .error')) ?? '', /HTTP 503: .*MLLP_PORT=-1/);
      await screenshot(page, '11-development-mode');
      assert.deepEqual(
        errors.filter((e) => !/^HTTP 503 GET .*\/console\/api\/hl7\/messages/.test(e)),
        [],
      );
      await page.context().close();
    } finally {
      await dev.close();
      await store.close();
    }
  });
});
