/**
 * Console load time with the whole Synthea corpus on the embedded default store (issue #10: "the console loads in
 * under a second on the embedded default with the Synthea corpus loaded"). The real composition
 * (server/start-server.ts, as `npm start`) on a fresh PGlite data folder, SMART on (throw-away nilecare_auth,
 * the server's own first admin), HL7 and projections off. Loads fhir-data-pipes (reference + patients) and the
 * SMART set in-process, signs in in headless Chromium, then times:
 *   consoleLoad       navigation to /console/ → patient list rendered, same tab (HTTP cache warm), p50 of --samples
 *   consoleLoadCold   the same in a fresh browser context (empty cache, token put in sessionStorage), p50
 *   patientChart      click on a patient → chart (demographics, encounters, conditions, observations) rendered, p50
 * Prints one JSON object on stdout (progress on stderr).  npx tsx bench/console-load.ts [--samples 10]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Bundle } from '@medplum/fhirtypes';
import { pino } from 'pino';
import { loadConfig } from '../server/config.js';
import { startServer } from '../server/start-server.js';
import { createAuthDbFixture } from '../server/auth/testing/auth-test-server.js';
import { CHROMIUM_SKIP, launchChromium } from '../server/console/testing/chromium.js';
import { freePort } from '../server/console/testing/free-port.js';
import { percentile } from './stats.js';
import { pipesFiles, smartPatientFiles, syntheaPresent, SYNTHEA } from './synthea-data.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const samples = arg('samples', 10);
const log = (line: string) => process.stderr.write(`${line}\n`);
const p50 = (xs: number[]) =>
  Math.round(
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    ),
  );

async function main(): Promise<void> {
  if (CHROMIUM_SKIP) throw new Error(CHROMIUM_SKIP);
  if (!syntheaPresent()) throw new Error(`Synthea corpus absent at ${SYNTHEA}`);
  const dir = mkdtempSync(join(tmpdir(), 'nilecare-console-bench-'));
  const fx = await createAuthDbFixture();
  const password = `bench-${randomBytes(9).toString('base64url')}`;
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const started = Date.now();
  const server = await startServer(
    loadConfig({
      PORT: String(port),
      LOG_LEVEL: 'warn',
      PGLITE_DATA_DIR: join(dir, 'pglite'),
      EXPORT_DIR: join(dir, 'exports'),
      AUTH_MYSQL_URL: fx.url,
      AUTH_KEYS_DIR: join(dir, 'keys'),
      NILECARE_ADMIN_PASSWORD: password,
      MLLP_PORT: '-1',
    }),
    { app: { logger: pino({ level: 'warn' }, pino.destination(2)), authRedisPrefix: fx.redisPrefix }, env: {} },
  );
  const browser = await launchChromium();
  try {
    const fhir = server.app.systemClient;
    const { reference, patients } = pipesFiles();
    const smartDir = join(SYNTHEA, 'smart-r4-2019');
    const smartReference = ['hospitalInformation1559319163815.json', 'practitionerInformation1559319163815.json'].map(
      (f) => join(smartDir, f),
    );
    const files = [...reference, ...patients, ...smartReference, ...smartPatientFiles()];
    let resources = 0;
    const loadStart = Date.now();
    for (const [i, file] of files.entries()) {
      const bundle = JSON.parse(readFileSync(file, 'utf8')) as Bundle;
      await fhir.transaction(bundle);
      resources += bundle.entry?.length ?? 0;
      log(`loaded ${i + 1}/${files.length} bundles (${resources} entries)`);
    }
    const loadSeconds = (Date.now() - loadStart) / 1000;
    const patientCount = ((await fhir.request('GET', 'Patient?_summary=count')).resource as Bundle).total ?? 0;

    // Sign in once (login + consent pages), as a user would.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(`${origin}/console/`);
    await page.click('#sign-in');
    await page.fill('#login', 'admin');
    await page.fill('#password', password);
    await page.click('button[type=submit]');
    await page.click('button[value=allow]');
    await page.waitForSelector('#patient-list[data-ready=true] a.patient-link');
    const token = await page.evaluate(() => sessionStorage.getItem('nilecare-console:token'));

    const listReady = '#patient-list[data-ready=true] a.patient-link';
    const warm: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t = Date.now();
      await page.goto(`${origin}/console/?run=${i}#/patients`);
      await page.waitForSelector(listReady);
      warm.push(Date.now() - t);
    }
    const cold: number[] = [];
    for (let i = 0; i < samples; i++) {
      const fresh = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await fresh.addInitScript((value) => sessionStorage.setItem('nilecare-console:token', value), token!);
      const p = await fresh.newPage();
      const t = Date.now();
      await p.goto(`${origin}/console/#/patients`);
      await p.waitForSelector(listReady);
      cold.push(Date.now() - t);
      await fresh.close();
    }
    const chart: number[] = [];
    const links = await page.locator('#patient-list a.patient-link').count();
    for (let i = 0; i < samples; i++) {
      await page.goto(`${origin}/console/?chart=${i}#/patients`);
      await page.waitForSelector(listReady);
      const t = Date.now();
      await page
        .locator('#patient-list a.patient-link')
        .nth(i % links)
        .click();
      await page.waitForSelector('#patient-name-heading, #view .error');
      chart.push(Date.now() - t);
    }
    const figure = (values: number[], target?: number) => ({
      value: p50(values),
      unit: 'ms',
      ...(target ? { target, met: p50(values) < target } : {}),
      detail: { samples: values },
    });
    console.log(
      JSON.stringify(
        {
          context: {
            store: 'pglite (data folder, the embedded default)',
            bundles: files.length,
            resources,
            patients: patientCount,
            loadSeconds: Math.round(loadSeconds),
            cores: cpus().length,
            loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
            durationSeconds: Math.round((Date.now() - started) / 1000),
          },
          figures: {
            consoleLoad: figure(warm, 1000),
            consoleLoadCold: figure(cold, 1000),
            patientChart: figure(chart),
          },
        },
        null,
        1,
      ),
    );
  } finally {
    await browser.close();
    await server.stop();
    await fx.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
