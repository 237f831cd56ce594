/**
 * The console in Arabic, in headless Chromium, on the real app (PGlite, authorisation disabled: the console opens
 * without sign-in): the language switch turns the page right to left with Arabic labels, Arabic names show as
 * written (with their marks), a search typed without hamza finds the name written with it, birth dates show in
 * Arabic with the Hijri date beside the Gregorian one, and the possible-duplicates list lets a reviewer mark a pair.
 * Screenshots: test-artifacts/console/arabic-*.png.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { Patient } from '@medplum/fhirtypes';
import { pgliteTestStore } from '../store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { CHROMIUM_SKIP, launchChromium, newPage, screenshot } from './testing/chromium.js';

describe('the console in Arabic (headless Chromium)', { skip: CHROMIUM_SKIP, timeout: 300_000 }, () => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let origin: string;
  const ids: Record<string, string> = {};

  before(async () => {
    const opened = await pgliteTestStore();
    dispose = opened.dispose;
    server = await startTestServer(opened.store);
    origin = server.baseUrl.replace(/\/fhir$/, '');
    const patients: Record<string, Patient> = {
      mohamed: {
        resourceType: 'Patient',
        name: [{ use: 'official', given: ['مُحَمَّد'], family: 'أَحْمَد عثمان' }],
        gender: 'male',
        birthDate: '1985-02-14',
        identifier: [{ system: 'http://nilecare.sd/fhir/sid/mrn', value: 'MRN-1001' }],
        telecom: [{ system: 'phone', value: '+249912345678' }],
      },
      fatima: {
        resourceType: 'Patient',
        name: [{ use: 'official', given: ['فاطمة'], family: 'الطيب صالح' }],
        gender: 'female',
        birthDate: '1992-09-30',
      },
      latin: {
        resourceType: 'Patient',
        name: [{ use: 'official', given: ['Mohamed'], family: 'Ahmed Osman' }],
        gender: 'male',
        birthDate: '1985-02-14',
        identifier: [{ system: 'http://nilecare.sd/fhir/sid/mrn', value: 'MRN-2077' }],
      },
    };
    for (const [key, patient] of Object.entries(patients)) {
      const created = await server.fhir('Patient', { method: 'POST', body: patient });
      assert.equal(created.status, 201, created.text);
      ids[key] = (created.body as Patient).id!;
    }
    browser = await launchChromium();
    ({ page, errors } = await newPage(browser));
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await server?.app.store.close();
    await dispose?.();
  });

  it('switches to Arabic: right to left, Arabic labels, names as written', async () => {
    await page.goto(`${origin}/console/#/patients`);
    await page.waitForSelector('#patient-list[data-ready="true"]');
    assert.equal(await page.getAttribute('html', 'dir'), 'ltr');
    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement.dir === 'rtl');
    await page.waitForSelector('#patient-list[data-ready="true"]');
    assert.equal(await page.getAttribute('html', 'lang'), 'ar');
    assert.equal(await page.textContent('nav a[data-section="patients"]'), 'المرضى');
    assert.equal(await page.textContent('#lang'), 'English');
    // right to left: the title is on the right of the navigation
    const title = (await page.locator('header h1').boundingBox())!;
    const nav = (await page.locator('header nav').boundingBox())!;
    assert.ok(title.x > nav.x, `title at ${title.x}, nav at ${nav.x}`);
    const names = await page.locator('#patient-list a.patient-link').allTextContents();
    assert.ok(names.includes('مُحَمَّد أَحْمَد عثمان'), names.join(' | '));
    assert.deepEqual(await page.locator('#patient-list th').allTextContents(), [
      'الاسم',
      'الجنس',
      'تاريخ الميلاد',
      'المعرّف',
    ]);
    await screenshot(page, 'arabic-patients');
  });

  it('finds أَحْمَد when the clerk types احمد, and shows the birth date with its Hijri date', async () => {
    await page.fill('#patient-name', 'احمد');
    await page.press('#patient-name', 'Enter');
    await page.waitForFunction(() => location.hash.includes('name='));
    await page.waitForSelector('#patient-list[data-ready="true"]');
    const names = await page.locator('#patient-list a.patient-link').allTextContents();
    assert.deepEqual(names, ['مُحَمَّد أَحْمَد عثمان']);
    await screenshot(page, 'arabic-search');
    await page.click('#patient-list a.patient-link');
    await page.waitForSelector('#patient-name-heading');
    assert.equal(await page.textContent('#patient-name-heading'), 'مُحَمَّد أَحْمَد عثمان');
    const born = await page.locator('dl.demographics dd').nth(1).textContent();
    assert.match(born ?? '', /فبراير/, 'Gregorian month in Arabic');
    assert.match(born ?? '', /جمادى الأولى/, `Hijri date beside it: ${born}`);
    assert.match(born ?? '', /هـ/);
    await screenshot(page, 'arabic-chart');
  });

  it('lists the possible duplicate pair side by side and records the reviewer’s decision', async () => {
    await page.goto(`${origin}/console/#/duplicates`);
    await page.waitForSelector('#duplicates[data-ready="true"]');
    const cards = page.locator('section.pair');
    assert.equal(await cards.count(), 1);
    const text = (await cards.first().textContent()) ?? '';
    assert.match(text, /مُحَمَّد أَحْمَد عثمان/);
    assert.match(text, /Mohamed Ahmed Osman/);
    assert.match(text, /مرجّح|مؤكد/, 'grade in Arabic');
    await screenshot(page, 'arabic-duplicates');
    await cards.first().locator('button.not-duplicate').click();
    await page.waitForSelector('section.pair[data-status="not-duplicate"]');
    const basics = await server.fhir('Basic?code=possible-duplicate');
    const ext = basics.body.entry[0].resource.extension[0].extension as Array<{ url: string; valueCode?: string }>;
    assert.equal(ext.find((x) => x.url === 'status')?.valueCode, 'not-duplicate');
    await page.reload();
    await page.waitForSelector('#duplicates[data-ready="true"]');
    assert.equal(await page.locator('section.pair').count(), 0, 'a reviewed pair leaves the open list');
    await page.click('#show-reviewed');
    await page.waitForSelector('section.pair[data-status="not-duplicate"]');
    assert.match((await page.textContent('section.pair .pair-status')) ?? '', /ليسا نفس الشخص/);
    await screenshot(page, 'arabic-duplicates-reviewed');
  });

  it('switches back to English, left to right, ISO dates as before', async () => {
    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement.dir === 'ltr');
    await page.goto(`${origin}/console/#/patient/${ids['fatima']}`);
    await page.waitForSelector('#patient-name-heading');
    assert.equal(await page.textContent('nav a[data-section="patients"]'), 'Patients');
    assert.equal(await page.locator('dl.demographics dd').nth(1).textContent(), '1992-09-30');
    assert.deepEqual(errors, []);
  });
});
