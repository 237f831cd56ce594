/**
 * The patient chart's Documents section in headless Chromium (issue #21), on the real server composition with SMART
 * sign-in (nilecare_auth on MariaDB, Redis) and PGlite: a PDF uploaded as a DocumentReference with inline data and a
 * PNG uploaded as a raw Binary (X-Security-Context: the patient) that a DocumentReference points at both appear in the
 * list (the PNG uploaded by the signed-in doctor), and each opens — the console fetches the Binary, whose response carries the upload's Content-Type and exact
 * bytes, and shows it (PDF in a frame, image inline). A signed-in patient user with no access to that patient sees
 * no documents of it, and the same Binary URL with that user's token is refused; the same user's patient-context
 * token from a SMART app reads their own document but not the other patient's, by Binary URL or search. Screenshots:
 * test-artifacts/console/documents-*.png.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { startServer, type StartedServer } from '../start-server.js';
import { createAuthDbFixture, type AuthDbFixture, type TestUser } from '../auth/testing/auth-test-server.js';
import { CHROMIUM_SKIP, launchChromium, newPage, screenshot } from './testing/chromium.js';
import { freePort } from './testing/free-port.js';
import { authorizeUrl, Browser as TestBrowser, exchangeCode, pkce, signInAndConsent } from '../auth/testing/browser.js';

type Json = any;

/** A one-page PDF that Chromium's viewer can render. */
const PDF = Buffer.from(
  [
    '%PDF-1.4',
    '1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj',
    '2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj',
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj',
    '4 0 obj<</Length 58>>stream',
    'BT /F1 18 Tf 30 70 Td (Discharge letter - Amna Osman) Tj ET',
    'endstream endobj',
    '5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj',
    'trailer<</Root 1 0 R>>',
    '%%EOF',
  ].join('\n'),
);
/** A 2×2 PNG (red, green / blue, white). */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
);

describe(
  'patient chart documents in headless Chromium (SMART sign-in)',
  { skip: CHROMIUM_SKIP, timeout: 300_000 },
  () => {
    let server: StartedServer;
    let fx: AuthDbFixture;
    let keysDir: string;
    let browser: Browser;
    let origin: string;
    let doctor: TestUser;
    let otherPatient: TestUser;
    let pdfBinary: string;
    let pngBinary: string;
    const fhir = () => server.app.systemClient;

    before(async () => {
      fx = await createAuthDbFixture();
      keysDir = mkdtempSync(join(tmpdir(), 'nilecare-console-docs-'));
      const port = await freePort();
      const config = loadConfig({
        PORT: String(port),
        LOG_LEVEL: 'silent',
        NILECARE_AUTH: 'smart',
        AUTH_MYSQL_URL: fx.url,
        REDIS_URL: 'redis://127.0.0.1:6379',
        AUTH_KEYS_DIR: keysDir,
        NILECARE_ADMIN_PASSWORD: `docs-${randomBytes(9).toString('base64url')}`,
        MLLP_PORT: '-1',
        NILECARE_PROJECTIONS: 'off',
        EXPORT_DIR: join(keysDir, 'exports'),
      });
      const { openPgliteTestStore } = await import('../store/postgres/testing/pglite-template.js');
      const store = await openPgliteTestStore();
      server = await startServer(config, {
        app: {
          store,
          logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
          authRedisPrefix: fx.redisPrefix,
        },
      });
      origin = `http://127.0.0.1:${port}`;
      doctor = await fx.addUser({ username: 'dr-docs', role: 'doctor', fhirUser: 'Practitioner/dr-docs' });
      otherPatient = await fx.addUser({ username: 'pt-bakri', role: 'patient', fhirUser: 'Patient/pb' });

      for (const [id, family, given] of [
        ['pa', 'Osman', 'Amna'],
        ['pb', 'Hassan', 'Bakri'],
      ] as const)
        await fhir().request('PUT', `Patient/${id}`, {
          resourceType: 'Patient',
          id,
          name: [{ family, given: [given] }],
        });
      // The PDF: a DocumentReference with the bytes inline (the server moves them into a Binary).
      const letter = await fhir().request('POST', 'DocumentReference', {
        resourceType: 'DocumentReference',
        status: 'current',
        subject: { reference: 'Patient/pa' },
        type: { coding: [{ system: 'http://loinc.org', code: '18842-5', display: 'Discharge summary' }] },
        date: '2026-03-01T10:00:00+03:00',
        content: [
          { attachment: { contentType: 'application/pdf', title: 'discharge.pdf', data: PDF.toString('base64') } },
        ],
      });
      pdfBinary = (letter.resource as { content: Array<{ attachment: { url: string } }> }).content[0]!.attachment.url;
      browser = await launchChromium();
    });

    after(async () => {
      await browser?.close();
      await server?.stop();
      await server?.app.store.close();
      await fx?.drop();
      if (keysDir) rmSync(keysDir, { recursive: true, force: true });
    });

    async function signIn(user: TestUser) {
      const { page, errors } = await newPage(browser);
      await page.goto(`${origin}/console/`);
      await page.click('#sign-in');
      await page.waitForSelector('input[name=password]');
      await page.fill('#login', user.username);
      await page.fill('#password', user.password);
      await page.click('button[type=submit]');
      await page.waitForURL((u) => u.pathname === '/console/' && !u.searchParams.has('code'));
      await page.waitForFunction(() => !!sessionStorage.getItem('nilecare-console:token'));
      return { page, errors };
    }

    const tokenOf = async (page: Page) => {
      const token = JSON.parse((await page.evaluate(() => sessionStorage.getItem('nilecare-console:token'))) ?? '{}')
        .accessToken as string;
      assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a signed-in user’s access token');
      return token;
    };

    type Fetched = { url: string; status: number; contentType: string; body: Buffer };

    /**
     * Clicks Open on the row whose text matches; returns the Binary response the console received (passed through a
     * route that keeps a copy of its bytes: Playwright's response.body() is empty for a body the page read as a Blob).
     */
    async function open(page: Page, row: RegExp): Promise<Fetched> {
      let fetched: Fetched | undefined;
      await page.route('**/fhir/Binary/**', async (route) => {
        const response = await route.fetch();
        const body = await response.body();
        fetched = {
          url: route.request().url(),
          status: response.status(),
          contentType: response.headers()['content-type'] ?? '',
          body,
        };
        await route.fulfill({ response, body });
      });
      await page.locator('#documents tr.document-row', { hasText: row }).locator('button.open-document').click();
      await page.waitForSelector('#document-viewer[data-ready=true]');
      await page.unrouteAll();
      assert.ok(fetched, 'the console fetched the Binary');
      return fetched;
    }

    it('a doctor sees the PDF and the image in the chart and opens both: right Content-Type, exact bytes', async () => {
      const { page, errors } = await signIn(doctor);
      try {
        // The image: the doctor uploads raw bytes to /Binary (readable as Patient/pa is) and files a DocumentReference.
        const token = await tokenOf(page);
        const raw = await fetch(`${origin}/fhir/Binary`, {
          method: 'POST',
          headers: {
            'content-type': 'image/png',
            'x-security-context': 'Patient/pa',
            authorization: `Bearer ${token}`,
          },
          body: PNG,
        });
        assert.equal(raw.status, 201, await raw.clone().text());
        pngBinary = `Binary/${((await raw.json()) as { id: string }).id}`;
        const filed = await fetch(`${origin}/fhir/DocumentReference`, {
          method: 'POST',
          headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            resourceType: 'DocumentReference',
            status: 'current',
            subject: { reference: 'Patient/pa' },
            type: { text: 'Wound photograph' },
            date: '2026-03-04T09:30:00Z',
            content: [{ attachment: { contentType: 'image/png', title: 'wound.png', url: pngBinary } }],
          }),
        });
        assert.equal(filed.status, 201, await filed.clone().text());
        assert.equal((await filed.json()).content[0].attachment.size, PNG.length, 'the server filled size');

        await page.goto(`${origin}/console/#/patient/pa`);
        await page.waitForSelector('#documents tr.document-row');
        const rows = await page.locator('#documents tr.document-row').allTextContents();
        assert.equal(rows.length, 2, rows.join(' | '));
        assert.match(rows[0]!, /Wound photograph.*current.*image\/png.*\d+ B/, 'newest first');
        assert.match(rows[1]!, /Discharge summary.*current.*application\/pdf/);

        const pdf = await open(page, /Discharge summary/);
        assert.equal(pdf.status, 200);
        assert.equal(pdf.url, `${origin}/fhir/${pdfBinary}`);
        assert.match(pdf.contentType, /^application\/pdf\b/);
        assert.ok(pdf.body.equals(PDF), 'the PDF’s bytes, unchanged');
        assert.match((await page.getAttribute('#document-viewer iframe', 'src')) ?? '', /^blob:/);
        await screenshot(page, 'documents-pdf');

        const png = await open(page, /Wound photograph/);
        assert.equal(png.status, 200);
        assert.equal(png.url, `${origin}/fhir/${pngBinary}`);
        assert.match(png.contentType, /^image\/png\b/);
        assert.ok(png.body.equals(PNG), 'the image’s bytes, unchanged');
        await page.waitForFunction(() => {
          const img = document.querySelector<HTMLImageElement>('#document-viewer img');
          return !!img && img.complete && img.naturalWidth === 2 && img.naturalHeight === 2;
        });
        assert.equal(await page.locator('#document-viewer iframe').count(), 0, 'the image replaced the PDF');
        await screenshot(page, 'documents-image');
        assert.deepEqual(errors, []);
      } catch (e) {
        await screenshot(page, 'documents-failure-doctor').catch(() => undefined);
        throw e;
      } finally {
        await page.context().close();
      }
    });

    it('a patient user without access to that patient sees none of its documents, and its Binary URL is refused', async () => {
      const { page } = await signIn(otherPatient);
      try {
        await page.goto(`${origin}/console/#/patient/pa`);
        await page.waitForSelector('#view .error, #documents');
        assert.equal(await page.locator('#documents tr.document-row').count(), 0);
        assert.doesNotMatch((await page.textContent('#view')) ?? '', /Discharge summary|Wound photograph|Amna/);
        await screenshot(page, 'documents-other-patient');
        const token = await tokenOf(page);
        for (const binary of [pdfBinary, pngBinary]) {
          for (const accept of ['*/*', 'application/fhir+json']) {
            const direct = await fetch(`${origin}/fhir/${binary}`, {
              headers: { accept, authorization: `Bearer ${token}` },
            });
            assert.ok([403, 404].includes(direct.status), `${binary} (${accept}): ${direct.status}`);
            const body = Buffer.from(await direct.arrayBuffer());
            assert.ok(!body.includes(PDF.subarray(0, 40)) && !body.includes(PNG.subarray(8, 24)), 'no bytes leak');
          }
        }
        const search = await fetch(`${origin}/fhir/DocumentReference?patient=pa`, {
          headers: { accept: 'application/fhir+json', authorization: `Bearer ${token}` },
        });
        const found = search.status === 200 ? (((await search.json()) as { entry?: unknown[] }).entry ?? []) : [];
        assert.equal(found.length, 0, `search answered ${search.status}`);
      } catch (e) {
        await screenshot(page, 'documents-failure-other-patient').catch(() => undefined);
        throw e;
      } finally {
        await page.context().close();
      }
    });

    it('the same patient user in a SMART app (patient context) reads its own document, never the other patient’s', async () => {
      const own = await fhir().request('POST', 'DocumentReference', {
        resourceType: 'DocumentReference',
        status: 'current',
        subject: { reference: 'Patient/pb' },
        content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('clinic letter').toString('base64') } }],
      });
      const ownBinary = (own.resource as Json).content[0].attachment.url as string;
      const redirect = 'http://127.0.0.1:9/cb';
      await server.app.auth!.registerClient({
        client_id: 'docs-app',
        client_name: 'Documents app',
        redirect_uris: [redirect],
        token_endpoint_auth_method: 'none',
        scope: 'openid fhirUser launch/patient patient/*.rs',
      });
      const { verifier, challenge } = pkce();
      const consent = await signInAndConsent(
        new TestBrowser(),
        authorizeUrl({
          base: origin,
          fhirBase: `${origin}/fhir`,
          clientId: 'docs-app',
          redirectUri: redirect,
          scope: 'openid fhirUser launch/patient patient/*.rs',
          challenge,
        }),
        redirect,
        { login: otherPatient.username, password: otherPatient.password },
      );
      const code = consent.redirect?.searchParams.get('code');
      assert.ok(code, consent.lastHtml);
      const exchanged = await exchangeCode(origin, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirect,
        client_id: 'docs-app',
        code_verifier: verifier,
      });
      assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
      assert.equal(exchanged.body.patient, 'pb');
      const get = (path: string, accept = 'application/fhir+json') =>
        fetch(`${origin}/fhir/${path}`, {
          headers: { accept, authorization: `Bearer ${String(exchanged.body.access_token)}` },
        });

      const mine = await get(ownBinary, '*/*');
      assert.equal(mine.status, 200);
      assert.equal(await mine.text(), 'clinic letter');
      const listed = await (await get('DocumentReference?patient=pb')).json();
      assert.equal(listed.entry.length, 1);
      for (const binary of [pdfBinary, pngBinary])
        for (const accept of ['*/*', 'application/fhir+json'])
          assert.ok([403, 404].includes((await get(binary, accept)).status), `${binary} (${accept})`);
      const theirs = await get('DocumentReference?patient=pa');
      const entries = theirs.status === 200 ? (((await theirs.json()).entry ?? []) as unknown[]) : [];
      assert.equal(entries.length, 0, `DocumentReference?patient=pa answered ${theirs.status}`);
      const all = await (await get('DocumentReference')).json();
      assert.deepEqual(
        ((all.entry ?? []) as Json[]).map((e) => e.resource.subject.reference),
        ['Patient/pb'],
        'a search without criteria finds only the patient’s own',
      );
    });
  },
);
