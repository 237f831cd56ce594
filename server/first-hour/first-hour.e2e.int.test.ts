/**
 * The first hour of a newcomer (issue 26, "Done when"), following only the README's "The first hour", from a fresh
 * clone (server/first-hour/testing/fresh-clone.ts: a temporary folder linked to this checkout, no data/) on the embedded
 * default (PGlite in ./data/pglite), with headless Chromium for what is done in the browser:
 * 1. `npm start`; the first start creates `admin` and writes its password to data/auth/initial-admin-password;
 * 2. sign in to the console with that password, then change it with the README's command (the file is deleted);
 * 3. a backend-services token and a FHIR search, by running the README's block as written;
 * 4. `npm run import` (the README's command) of a Synthea output folder (corpus);
 * 5. register the README's app in the console (Admin page), then a standalone launch with PKCE as the app: the
 *    old password is refused, the new one signs in, a patient is chosen at consent, the token reads that patient;
 * 6. `npm run hl7:send` (the README's command) of a folder of HL7 v2 messages (corpus); the console's HL7 log lists
 *    them;
 * 7. an outbound endpoint added in the console (Admin page): the next change reaches a test MLLP peer, no restart;
 * 8. every command the section quotes, and every other command of package.json, with `--help`: usage on stdout,
 *    exit 0, and nothing changed (users, clients, endpoints, HL7 log, patients, files);
 * 9. Ctrl-C: the server stops cleanly and removes its local admin token; what the hour left in the clone is
 *    ignored by git (data/, the README's key file, the import journal).
 * The README's commands are read from README.md (server/first-hour/testing/readme-first-hour.ts), so this test breaks when
 * the README drifts from what works. Screenshots: test-artifacts/console/first-hour-*.png.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { Browser, Page } from 'playwright-core';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { CHROMIUM_SKIP, launchChromium, newPage, screenshot } from '../console/testing/chromium.js';
import { corpusMissing, corpusPath, REPOSITORY_ROOT } from '../testing/corpus.js';
import { freePort } from '../testing/server-process.js';
import { authorizeUrl, exchangeCode, pkce } from '../auth/testing/browser.js';
import { FakePeer } from '../../adapters/hl7v2/outbound/testing/fake-peer.js';
import { blockWith, commandStarting, helpTargets, readFirstHour } from './testing/readme-first-hour.js';
import { freshClone, type FreshClone, type Run } from './testing/fresh-clone.js';

const SYNTHEA = corpusPath('synthea', 'smart-r4-2019');
const HL7_FOLDER = corpusPath('hl7v2', 'messages', 'rethinkhealth-hl7v2');
const skip = CHROMIUM_SKIP || corpusMissing(SYNTHEA, HL7_FOLDER);
const NEW_PASSWORD = 'first hour, new password 26';
const NO_STACK = /\n\s+at .+:\d+:\d+/;
const firstHour = readFirstHour(REPOSITORY_ROOT);

const ok = (r: Run, what: string) => assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}\n${r.stdout}`);

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe(
  'the first hour, as the README tells a newcomer (fresh clone, embedded default)',
  { skip, timeout: 600_000 },
  () => {
    let clone: FreshClone;
    let server: ReturnType<FreshClone['start']>;
    let browser: Browser;
    let console_: { page: Page; errors: string[] };
    let origin: string;
    let port: number;
    const peer = new FakePeer();
    let patient: Patient;
    let initialPassword: string;
    let appServer: Server | undefined;
    let appPort = 0;
    /** A token that may write (the README: `--scope "system/*.cruds"` for a service that writes). */
    const writerToken = async () => {
      const r = await clone.sh('npm run -s auth -- token --key data/importer.json');
      ok(r, 'token --key data/importer.json');
      return r.stdout.trim();
    };
    const fhir = async (path: string, token: string, init: RequestInit = {}) => {
      const res = await fetch(`${origin}/fhir/${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json', ...init.headers },
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    /** The console's admin API with the server's local admin token (what `npm run auth` uses beside the folder). */
    const adminApi = async (path: string) => {
      const { token } = JSON.parse(readFileSync(join(clone.dir, 'data', 'pglite.admin.json'), 'utf8')) as {
        token: string;
      };
      const res = await fetch(`${origin}/console/api/${path}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200, `GET /console/api/${path}`);
      return res.json() as Promise<unknown>;
    };

    before(async () => {
      appServer = createServer((_req, res) => res.end('the app')).listen(0, '127.0.0.1');
      await once(appServer, 'listening');
      appPort = (appServer.address() as AddressInfo).port;
      port = await freePort();
      origin = `http://127.0.0.1:${port}`;
      clone = freshClone({ http: port, mllp: await freePort() });
      await peer.start(0);
      browser = await launchChromium();
    });

    after(async () => {
      await server?.stop();
      await browser?.close();
      await peer.stop();
      appServer?.close();
      if (clone) await rm(clone.dir, { recursive: true, force: true });
    });

    it('1. npm start: the first start creates admin and says where its password is', async () => {
      server = clone.start();
      await until('the server to be ready', async () => {
        if (server.child.exitCode !== null) throw new Error(`npm start exited:\n${server.output()}`);
        return fetch(`${origin}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
      });
      assert.match(server.output(), /data\/auth\/initial-admin-password/, 'the start log names the password file');
      const file = join(clone.dir, 'data', 'auth', 'initial-admin-password');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.ok(existsSync(join(clone.dir, 'data', 'pglite')), 'the embedded database is ./data/pglite');
      const landing = await fetch(`${origin}/`);
      assert.equal(landing.status, 200);
      assert.match(await landing.text(), /\/console\//);
    });

    it('2. signs in to the console with the initial password, then changes it with the README command', async () => {
      initialPassword = readFileSync(join(clone.dir, 'data', 'auth', 'initial-admin-password'), 'utf8').trim();
      console_ = await newPage(browser);
      const { page } = console_;
      await page.goto(`${origin}/console/`);
      await page.click('#sign-in');
      await page.waitForSelector('input[name=password]');
      await page.fill('#login', 'admin');
      await page.fill('#password', initialPassword);
      await page.click('button[type=submit]');
      await page.waitForURL((u) => u.pathname === '/console/' && !u.searchParams.has('code'));
      await page.waitForSelector('#patient-list[data-ready=true]');
      assert.equal((await page.textContent('#who'))?.trim(), 'admin');
      await screenshot(page, 'first-hour-01-console');

      // "typed twice, not echoed; --password-file FILE or a pipe also work": the README's block, the password piped
      const r = await clone.sh(blockWith(firstHour, 'set-password'), `${NEW_PASSWORD}\n`);
      ok(r, 'set-password');
      assert.match(r.stdout, /password of admin changed/);
      assert.ok(!(r.stdout + r.stderr).includes(NEW_PASSWORD), 'the password is not echoed');
      assert.equal(existsSync(join(clone.dir, 'data', 'auth', 'initial-admin-password')), false, 'file deleted');
    });

    it('3. a backend-services token exactly as the README shows', async () => {
      const r = await clone.sh(blockWith(firstHour, 'register-backend').replaceAll('8080', String(port)));
      ok(r, 'the README backend-services block');
      const bundle = JSON.parse(r.stdout.slice(r.stdout.indexOf('{"resourceType"'))) as Bundle;
      assert.equal(bundle.resourceType, 'Bundle', `curl printed a search result: ${r.stdout}`);
      assert.equal(bundle.type, 'searchset');
      assert.equal(statSync(join(clone.dir, 'my-service.json')).mode & 0o777, 0o600, 'the key file is owner-only');
      assert.doesNotMatch(r.stdout + r.stderr, /eyJ[\w-]+\.eyJ/, 'no token printed by npm run');
    });

    it('4. npm run import of a Synthea output folder (the README command, a token that may write)', async () => {
      // Synthea's output as it writes it (hospital and practitioner batch Bundles, patient Bundles whose names sort
      // first), trimmed to the two shared Bundles and the two smallest patients: links, not copies.
      const folder = join(clone.dir, 'synthea-output');
      mkdirSync(folder);
      const names = readdirSync(SYNTHEA).filter((f) => f.endsWith('.json'));
      const shared = names.filter((f) => /Information\d+\.json$/.test(f));
      const patients = names
        .filter((f) => !shared.includes(f))
        .sort((a, b) => statSync(join(SYNTHEA, a)).size - statSync(join(SYNTHEA, b)).size)
        .slice(0, 2);
      for (const f of [...shared, ...patients]) symlinkSync(join(SYNTHEA, f), join(folder, f));
      const entries = [...shared, ...patients].reduce(
        (n, f) => n + (JSON.parse(readFileSync(join(SYNTHEA, f), 'utf8')) as Bundle).entry!.length,
        0,
      );

      ok(
        await clone.sh(
          'npm run -s auth -- register-backend --client-id importer --scope "system/*.cruds" --key-out data/importer.json',
        ),
        'register-backend importer',
      );
      const command = commandStarting(firstHour, 'npm run import --').replace('../path/to/fhir-folder', folder);
      const r = await clone.sh(`FHIR_TOKEN=$(npm run -s auth -- token --key data/importer.json) ${command}`);
      ok(r, command);
      const summary = JSON.parse(r.stdout.slice(r.stdout.indexOf('\n{') + 1)) as { resources: number; failed: number };
      assert.equal(summary.failed, 0);
      assert.equal(summary.resources, entries);

      const found = await fhir('Patient?_count=1&_sort=_id', await writerToken());
      assert.equal(found.status, 200);
      patient = (found.body as unknown as Bundle<Patient>).entry![0]!.resource!;
      assert.ok(patient.id);
    });

    it('5. registers the README app in the console, then runs a standalone launch with PKCE as that app', async () => {
      const registration = JSON.parse(/--json '([^']+)'/.exec(blockWith(firstHour, 'register-client'))![1]!) as {
        client_id: string;
        client_name: string;
        token_endpoint_auth_method: string;
        redirect_uris: string[];
        scope: string;
      };
      const { page } = console_;
      await page.click('nav a[data-section=admin]');
      const form = page.locator('#register-client');
      await form.locator('[name=client_id]').fill(registration.client_id);
      await form.locator('[name=client_name]').fill(registration.client_name);
      await form.locator('[name=token_endpoint_auth_method]').selectOption(registration.token_endpoint_auth_method);
      // the README's app listens on port 3000; this one on a free port (a stand-in that records the code it is sent)
      const redirect = registration.redirect_uris[0]!.replace(':3000/', `:${appPort}/`);
      await form.locator('[name=redirect_uris]').fill(redirect);
      await form.locator('[name=scope]').fill(registration.scope);
      await form.locator('button[type=submit]').click();
      await page.waitForSelector('#admin-clients .notice');
      assert.match(
        (await page.textContent('#admin-clients .notice')) ?? '',
        new RegExp(`Registered ${registration.client_id}`),
      );
      assert.match(
        (await page.locator(`#clients tr[data-client-id="${registration.client_id}"]`).textContent()) ?? '',
        /PKCE|public/i,
      );
      await screenshot(page, 'first-hour-02-app-registered');

      // The app: sends the user to /auth/authorize; the browser comes back to its redirect URI with a code.
      const { verifier, challenge } = pkce();
      const launch = await newPage(browser);
      const app = launch.page;
      await app.goto(
        authorizeUrl({
          base: origin,
          fhirBase: `${origin}/fhir`,
          clientId: registration.client_id,
          redirectUri: redirect,
          scope: registration.scope,
          challenge,
        }),
      );
      await app.fill('#login', 'admin');
      await app.fill('#password', initialPassword);
      await app.click('button[type=submit]');
      await app.waitForSelector('.error'); // the initial password no longer signs in
      await app.fill('#login', 'admin');
      await app.fill('#password', NEW_PASSWORD);
      await app.click('button[type=submit]');
      await app.waitForSelector('button[value=allow]');
      assert.match((await app.textContent('h1')) ?? '', new RegExp(registration.client_name));
      // The newcomer finds the patient by name (issue 26 item 4: a name, not a UUID) and picks them from the list.
      const family = patient.name![0]!.family!;
      await app.fill('#patient_search', family);
      await app.click('button[value=find]');
      const choice = app.locator(`.patients li:has(input[value="${patient.id!}"])`);
      await choice.waitFor();
      assert.match((await choice.textContent()) ?? '', new RegExp(`${patient.name![0]!.given![0]!}.*${family}`));
      await choice.locator('input').check();
      await screenshot(app, 'first-hour-03-consent');
      await app.click('button[value=allow]');
      await app.waitForURL((u) => u.href.startsWith(redirect));
      const code = new URL(app.url()).searchParams.get('code');
      assert.ok(code, `a code: ${app.url()}`);
      const { status, body } = await exchangeCode(origin, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirect,
        client_id: registration.client_id,
        code_verifier: verifier,
      });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.patient, patient.id);
      const read = await fhir(`Patient/${patient.id}`, String(body.access_token));
      assert.equal(read.status, 200);
      assert.equal((read.body as unknown as Patient).name?.[0]?.family, patient.name?.[0]?.family);
      await app.context().close();
    });

    it('6. npm run hl7:send of a folder of messages (the README command); the console lists them', async () => {
      const command = commandStarting(firstHour, 'npm run hl7:send --').replace(
        '../path/to/messages-folder',
        HL7_FOLDER,
      );
      const files = readdirSync(HL7_FOLDER).length;
      const r = await clone.sh(command);
      ok(r, command);
      assert.match(r.stdout, new RegExp(`^sent ${files} messages from ${files} files to 127\\.0\\.0\\.1:\\d+: `, 'm'));
      assert.doesNotMatch(r.stdout + r.stderr, NO_STACK);
      const { page } = console_;
      await page.click('nav a[data-section=hl7]');
      await page.waitForSelector('#hl7-list table tbody tr');
      assert.equal(await page.locator('#hl7-list table tbody tr').count(), files);
      await screenshot(page, 'first-hour-04-hl7-log');
    });

    it('7. an outbound endpoint added in the console: the next change reaches the peer, no restart', async () => {
      const { page } = console_;
      await page.click('nav a[data-section=admin]');
      const form = page.locator('#add-endpoint');
      await form.locator('[name=name]').fill('test-peer');
      await form.locator('[name=host]').fill('127.0.0.1');
      await form.locator('[name=port]').fill(String(peer.listeningPort));
      await form.locator('[name=messageTypes]').fill('ADT');
      await form.locator('button[type=submit]').click();
      await page.waitForSelector('#admin-endpoints .notice');
      assert.match((await page.textContent('#admin-endpoints .notice')) ?? '', /Endpoint test-peer added/);
      assert.match((await page.locator('#endpoints tr[data-endpoint="test-peer"]').textContent()) ?? '', /active/);
      await screenshot(page, 'first-hour-05-endpoint');

      const family = 'Firsthour';
      const updated = await fhir(`Patient/${patient.id}`, await writerToken(), {
        method: 'PUT',
        body: JSON.stringify({ ...patient, name: [{ family, given: ['Newcomer'] }] }),
      });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      const received = await until('the ADT message at the peer', () =>
        peer.received.find((m) => m.type.startsWith('ADT^') && m.raw.includes(family)),
      );
      assert.equal(received.answered, 'AA');
      assert.deepEqual(console_.errors, []);
    });

    it('8. every command with --help prints its usage and changes nothing', async () => {
      const scripts = (
        JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as {
          scripts: Record<string, string>;
        }
      ).scripts;
      // one per program (migrate:info … run the program of migrate)
      const programs = new Map<string, string>();
      for (const [name, command] of Object.entries(scripts)) {
        const program = command.split(' ')[1]!;
        if (command.startsWith('tsx ') && name !== 'bench' && !programs.has(program)) programs.set(program, name);
      }
      const clis = [...programs.values()];
      // as quoted (placeholders and all) plus --help, then every other command
      const quoted = [...new Set(firstHour.commands)].map((c) =>
        c.includes(' -- ') ? `${c} --help` : `${c} -- --help`,
      );
      const covered = new Set(helpTargets(firstHour).map((t) => t.script));
      const runs = [...quoted, ...clis.filter((s) => !covered.has(s)).map((s) => `npm run ${s} -- --help`)];
      const state = async () =>
        JSON.stringify([
          await adminApi('users'),
          await adminApi('clients'),
          await adminApi('hl7/endpoints'),
          await adminApi('hl7/messages'),
          (await fhir('Patient?_summary=count', await writerToken())).body.total,
          readdirSync(clone.dir).sort(),
          readdirSync(join(clone.dir, 'data')).sort(),
        ]);
      const before = await state();
      for (let i = 0; i < runs.length; i += 3) {
        const batch = runs.slice(i, i + 3);
        const results = await Promise.all(batch.map((c) => clone.sh(c)));
        results.forEach((r, j) => {
          ok(r, batch[j]!);
          assert.match(r.stdout, /^usage: /im, `${batch[j]}: usage on stdout`);
          assert.doesNotMatch(r.stdout, /eyJ[\w-]+\.eyJ/, `${batch[j]}: no token`);
          assert.doesNotMatch(r.stderr, NO_STACK, `${batch[j]}: no stack trace`);
        });
      }
      assert.equal(await state(), before, 'nothing changed');
    });

    it('9. Ctrl-C stops the server cleanly; what the hour left in the clone is ignored by git', async () => {
      await server.stop();
      assert.match(server.output(), /"msg":"stopped"/, server.output().slice(-2000));
      assert.equal(existsSync(join(clone.dir, 'data', 'pglite.admin.json')), false);
      // what the first hour left at the top of the clone (data/, the README's key file, the import journal) is
      // ignored by git: a newcomer's `git status` stays clean and `git add .` takes no private key
      const left = readdirSync(clone.dir)
        .filter((n) => n !== 'synthea-output' && !lstatSync(join(clone.dir, n)).isSymbolicLink())
        .map((n) => (lstatSync(join(clone.dir, n)).isDirectory() ? `${n}/` : n));
      assert.ok(left.includes('my-service.json') && left.includes('data/'), left.join(' '));
      const ignored = spawnSync('git', ['check-ignore', '--no-index', '--', ...left], { cwd: REPOSITORY_ROOT });
      assert.deepEqual(ignored.stdout.toString().trim().split('\n').sort(), left.sort(), ignored.stderr.toString());
    });
  },
);
