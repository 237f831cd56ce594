/**
 * `npm run import` as a newcomer meets it (issue 26 items 5 and 6), run as a child process:
 * - it finds the server through the same variables as `npm start` (HOST/PORT, BASE_URL), with no --url;
 * - the token comes from FHIR_TOKEN or --token-file and is never printed; `--token` is refused, as is an unknown
 *   option: one line, exit 2, no stack trace;
 * - a Synthea output folder (corpus, fhir-data-pipes-2021: patients with conditional references to the
 *   hospital/practitioner batch Bundles) loads with every entry accepted although the patients sort first by name;
 *   its metadata/ run record is skipped, not failed;
 * - every failure is reported: the first 20 in the summary, all of them in the failures file;
 * - progress is a running total over all files.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgliteTestStore } from '../store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { corpusMissing, corpusPath, REPOSITORY_ROOT } from '../testing/corpus.js';
import { freePort } from '../testing/server-process.js';
import { loadOrder } from './bulk-import.js';

type Run = { code: number | null; stdout: string; stderr: string };

function runImport(args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), join(REPOSITORY_ROOT, 'server/cli/import.ts'), ...args],
      // BASE_URL/FHIR_TOKEN of the test's own environment must not leak in: each case sets what it means
      { cwd, env: { ...process.env, BASE_URL: '', FHIR_TOKEN: '', HOST: '127.0.0.1', PORT: '9', ...env } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const summaryOf = (r: Run) => JSON.parse(r.stdout.slice(r.stdout.indexOf('\n{') + 1)) as Record<string, any>;
const NO_STACK = /\n\s+at .+:\d+:\d+/;

describe('npm run import: load order', () => {
  it("Synthea's shared batch Bundles first, then the rest by name", () => {
    assert.deepEqual(
      loadOrder([
        'Zed_1.json',
        'Abe_2.json',
        'practitionerInformation1631543164888.json',
        'metadata',
        'hospitalInformation1631543164888.json',
      ]),
      [
        'hospitalInformation1631543164888.json',
        'practitionerInformation1631543164888.json',
        'Abe_2.json',
        'Zed_1.json',
        'metadata',
      ],
    );
    assert.deepEqual(loadOrder(['b.ndjson', 'a.ndjson']), ['a.ndjson', 'b.ndjson'], 'ndjson: name order');
  });
});

describe('npm run import: usage, token and where the server is', () => {
  let dir: string;
  const seen: IncomingHttpHeaders[] = [];
  const peer = createServer((req, res) => {
    seen.push(req.headers);
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const entries = (JSON.parse(body || '{}') as { entry?: unknown[] }).entry ?? [];
      res.setHeader('content-type', 'application/fhir+json');
      res.end(
        JSON.stringify({
          resourceType: 'Bundle',
          type: 'batch-response',
          entry: entries.map(() => ({ response: { status: '201 Created' } })),
        }),
      );
    });
  });
  let port: number;
  let file: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nilecare-import-cli-'));
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
    port = (peer.address() as AddressInfo).port;
    file = join(dir, 'one.ndjson');
    writeFileSync(file, JSON.stringify({ resourceType: 'Patient', id: 'p1' }) + '\n');
  });
  after(async () => {
    await new Promise((r) => peer.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('an unknown option or a token on the command line: one line, exit 2, nothing sent, token not printed', async () => {
    const unknown = await runImport(['--tokn', 'x', file], { PORT: String(port) }, dir);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /^import: Unknown option '--tokn'\nRun "npm run import -- --help" for usage\.\n$/);
    assert.doesNotMatch(unknown.stderr, NO_STACK);

    const secret = 'eyJ.secret-on-the-command-line';
    const onLine = await runImport(['--token', secret, file], { PORT: String(port) }, dir);
    assert.equal(onLine.code, 2);
    assert.match(onLine.stderr, /FHIR_TOKEN or --token-file/);
    assert.ok(!(onLine.stdout + onLine.stderr).includes(secret), 'the token is not echoed');

    const none = await runImport([], { PORT: String(port) }, dir);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give one or more files or folders/);
    const missing = await runImport([join(dir, 'nope')], { PORT: String(port) }, dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^import: No such file or folder/);
    assert.equal(seen.length, 0, 'nothing was sent');
  });

  it('PORT (no --url) finds the server; the token from FHIR_TOKEN or --token-file goes in the header only', async () => {
    const token = 'eyJ.from-the-variable';
    const viaEnv = await runImport(
      ['--state', join(dir, 's1.json'), file],
      { PORT: String(port), FHIR_TOKEN: token },
      dir,
    );
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal(seen.at(-1)?.authorization, `Bearer ${token}`);
    assert.ok(!(viaEnv.stdout + viaEnv.stderr).includes(token));

    const tokenFile = join(dir, 'token.txt');
    writeFileSync(tokenFile, 'eyJ.from-the-file\n');
    const viaFile = await runImport(
      ['--token-file', tokenFile, '--state', join(dir, 's2.json'), file],
      { BASE_URL: `http://127.0.0.1:${port}/fhir`, PORT: '9' },
      dir,
    );
    assert.equal(viaFile.code, 0, viaFile.stderr);
    assert.equal(seen.at(-1)?.authorization, 'Bearer eyJ.from-the-file', 'BASE_URL wins over PORT, as for npm start');
    assert.ok(!(viaFile.stdout + viaFile.stderr).includes('from-the-file'));
  });

  it('no server at the address: one line naming it and the variable, exit 3', async () => {
    const nobody = await freePort();
    const closed = await runImport(['--state', join(dir, 's3.json'), file], { PORT: String(nobody) }, dir);
    assert.equal(closed.code, 3, closed.stderr);
    assert.match(
      closed.stderr,
      new RegExp(`cannot reach the FHIR server at http://127\\.0\\.0\\.1:${nobody}/fhir \\(ECONNREFUSED\\).*HOST/PORT`),
    );
    assert.doesNotMatch(closed.stderr, NO_STACK);
  });
});

const PIPES = corpusPath('synthea', 'fhir-data-pipes-2021');

describe(
  'npm run import: a Synthea folder and a long failure list (server on PGlite)',
  { skip: corpusMissing(PIPES) },
  () => {
    let server: TestServer;
    let dispose: () => Promise<void>;
    let dir: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nilecare-import-synthea-'));
      const { store, dispose: drop } = await pgliteTestStore();
      server = await startTestServer(store, { env: { EXPORT_DIR: join(dir, 'exports') } });
      dispose = async () => {
        await server.close();
        await store.close();
        await drop();
      };
    });
    after(async () => {
      await dispose?.();
      rmSync(dir, { recursive: true, force: true });
    });

    it('the patients load although their names sort before hospitalInformation*: every entry accepted', async () => {
      // The corpus folder as Synthea writes it, trimmed to its two batch Bundles, the three smallest patients and the
      // run record: links, not copies.
      const folder = join(dir, 'synthea-output');
      mkdirSync(join(folder, 'metadata'), { recursive: true });
      const names = readdirSync(PIPES).filter((f) => f.endsWith('.json'));
      const shared = names.filter((f) => /Information\d+\.json$/.test(f));
      const patients = names
        .filter((f) => !shared.includes(f))
        .sort((a, b) => statSync(join(PIPES, a)).size - statSync(join(PIPES, b)).size)
        .slice(0, 3);
      assert.equal(shared.length, 2);
      assert.ok(
        patients.every((p) => p < shared[0]!),
        'by name alone the patients would go first',
      );
      for (const f of [...shared, ...patients]) symlinkSync(join(PIPES, f), join(folder, f));
      for (const f of readdirSync(join(PIPES, 'metadata')))
        symlinkSync(join(PIPES, 'metadata', f), join(folder, 'metadata', f));

      const run = await runImport(
        ['--state', join(dir, 'synthea.json'), '--progress-every', '200', folder],
        { BASE_URL: server.baseUrl },
        dir,
      );
      assert.equal(run.code, 0, run.stderr + run.stdout.slice(-3000));
      const summary = summaryOf(run);
      const entries = [...shared, ...patients].reduce(
        (n, f) => n + (JSON.parse(readFileSync(join(PIPES, f), 'utf8')).entry.length as number),
        0,
      );
      assert.equal(summary.failed, 0);
      assert.equal(summary.resources, entries);
      assert.equal(summary.notFhir.length, 1, 'the metadata run record is skipped');
      assert.match(run.stderr, /1 JSON file\(s\) skipped, not FHIR/);

      // Progress: one line per file, each a running total of the whole run (never going back to 0 for a new file).
      const files = [
        ...run.stdout.matchAll(/^import: (\d+)\/(\d+) files, (\d+) resources loaded, (\d+) failed — (\w+): (.+)$/gm),
      ];
      assert.deepEqual(
        files.map((m) => m[6]),
        [...shared.sort(), ...patients.sort(), readdirSync(join(PIPES, 'metadata'))[0]],
        'hospital, practitioner, then the patients',
      );
      const totals = files.map((m) => Number(m[3]));
      assert.ok(
        totals.every((t, i) => i === 0 || t >= totals[i - 1]!),
        `running total: ${totals.join(', ')}`,
      );
      assert.equal(totals.at(-1), entries);

      // The conditional references resolved to the loaded Practitioners (not a failure, not a dangling reference).
      const encounters = await server.fhir('/Encounter?_count=1');
      const participant = encounters.body.entry[0].resource.participant?.[0]?.individual?.reference as string;
      assert.match(participant, /^Practitioner\/[^?]+$/);
      assert.equal((await server.fhir(`/${participant}`)).status, 200);
    });

    it('25 failures: the summary shows 20, the failures file holds all 25, in order', async () => {
      const file = join(dir, 'bad.ndjson');
      const lines = Array.from({ length: 25 }, (_, i) => (i % 2 ? 'not json' : JSON.stringify({ resourceType: '' })));
      writeFileSync(file, [...lines, JSON.stringify({ resourceType: 'Patient', id: 'fine' })].join('\n') + '\n');
      const failuresFile = join(dir, 'failures.txt');
      writeFileSync(failuresFile, 'a stale line from an earlier run\n');
      const run = await runImport(
        ['--state', join(dir, 'bad.json'), '--failures', failuresFile, file],
        { BASE_URL: server.baseUrl },
        dir,
      );
      assert.equal(run.code, 1);
      const summary = summaryOf(run);
      assert.equal(summary.failed, 25);
      assert.equal(summary.resources, 1);
      assert.equal(summary.failures.length, 20);
      assert.equal(summary.failuresFile, failuresFile);
      const all = readFileSync(failuresFile, 'utf8').trimEnd().split('\n');
      assert.equal(all.length, 25);
      assert.deepEqual(
        all.map((l) => Number(/line (\d+)/.exec(l)?.[1])),
        Array.from({ length: 25 }, (_, i) => i + 1),
      );
      assert.deepEqual(all.slice(0, 20), summary.failures);
      assert.match(run.stderr, new RegExp(`25 failures; the first 20 are above, all of them in ${failuresFile}`));
    });
  },
);
