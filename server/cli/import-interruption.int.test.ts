/**
 * `npm run import` as an operator runs it (a child process, output to a pipe), against a server on PGlite
 * (issue 14 item 8):
 * - killed with SIGKILL at three points — after the server committed a transaction whose answer never arrived,
 *   while a request was on its way, after an ndjson batch committed — and rerun until it finishes: per type the
 *   server holds exactly the resources (same ids, same counts) of one clean, uninterrupted load;
 * - a file whose entries failed is not complete: the rerun tries it again and the exit code stays non-zero
 *   until it loads;
 * - progress without a terminal: a line per N resources loaded, counting only accepted entries.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { pgliteTestStore } from '../store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { SYNTHEA } from '../fhir/bundle/testing/transaction-contract.js';
import { corpusMissing } from '../testing/corpus.js';

type Json = Record<string, any>;
const TYPES = [
  'AllergyIntolerance',
  'CarePlan',
  'CareTeam',
  'Claim',
  'Condition',
  'Device',
  'DiagnosticReport',
  'DocumentReference',
  'Encounter',
  'ExplanationOfBenefit',
  'Goal',
  'ImagingStudy',
  'Immunization',
  'Location',
  'MedicationRequest',
  'Observation',
  'Organization',
  'Patient',
  'Practitioner',
  'PractitionerRole',
  'Procedure',
  'Provenance',
];
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PIPES = join(SYNTHEA, 'fhir-data-pipes-2021');
const SMART = join(SYNTHEA, 'smart-r4-2019');

type Run = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };
type Hook = (body: Json, child: ChildProcess) => 'forward' | 'kill-before' | 'kill-after';

/** Starts the importer CLI; `hook` (through the proxy) may kill it around a request. */
function runImporter(url: string, args: string[], onChild?: (c: ChildProcess) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'server/cli/import.ts'), '--url', url, ...args],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    onChild?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** An HTTP proxy in front of the server that can kill the importer before or after forwarding a POST. */
class KillingProxy {
  private server: Server = createServer((req, res) => void this.handle(req, res));
  hook: Hook = () => 'forward';
  child?: ChildProcess;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/fhir`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const decision =
      req.method === 'POST' && this.child ? this.hook(JSON.parse(body.toString('utf8')), this.child) : 'forward';
    if (decision === 'kill-before') {
      this.child?.kill('SIGKILL');
      req.socket.destroy();
      return;
    }
    const upstream = await fetch(this.target + (req.url ?? '').replace(/^\/fhir/, ''), {
      method: req.method,
      headers: Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k)),
      ) as Record<string, string>,
      ...(body.length > 0 ? { body } : {}),
    });
    const text = await upstream.text(); // the server has answered: whatever it did is committed
    if (decision === 'kill-after') {
      this.child?.kill('SIGKILL');
      req.socket.destroy();
      return;
    }
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  }
}

async function countsByType(server: TestServer, types: string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const type of types) {
    const ids: string[] = [];
    let url: string | undefined = `/${type}?_count=1000&_elements=id`;
    while (url) {
      const res = await server.fhir(url);
      assert.equal(res.status, 200, res.text.slice(0, 200));
      ids.push(...(res.body.entry ?? []).map((e: Json) => e.resource.id as string));
      url = res.body.link?.find((l: Json) => l.relation === 'next')?.url;
    }
    out[type] = ids.sort();
  }
  return out;
}

/** An ndjson file from one SMART bundle: references made literal, ids left out where nothing refers to them. */
function writeNdjson(path: string): number {
  const bundle = JSON.parse(
    readFileSync(
      join(
        SMART,
        readdirSync(SMART)
          .filter((f) => f.endsWith('.json'))
          .sort()[0]!,
      ),
      'utf8',
    ),
  );
  const map = new Map<string, string>();
  for (const e of bundle.entry) map.set(e.fullUrl, `${e.resource.resourceType}/${e.fullUrl.replace('urn:uuid:', '')}`);
  let text = JSON.stringify(bundle.entry.map((e: Json) => ({ ...e.resource, id: e.fullUrl.replace('urn:uuid:', '') })));
  for (const [from, to] of map) text = text.split(`"${from}"`).join(`"${to}"`);
  const resources: Json[] = JSON.parse(text);
  const referenced = new Set([...text.matchAll(/"reference":"([A-Za-z]+\/[^"]+)"/g)].map((m) => m[1]));
  const lines = resources.map((r) => (referenced.has(`${r.resourceType}/${r.id}`) ? r : { ...r, id: undefined }));
  writeFileSync(path, lines.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return lines.length;
}

describe(
  'npm run import: interruptions, failures and progress (server on PGlite)',
  { skip: corpusMissing(PIPES, SMART) },
  () => {
    let clean: TestServer;
    let interrupted: TestServer;
    const disposers: Array<() => Promise<void>> = [];
    let dir: string;
    let inputs: string[];
    let ndjsonLines = 0;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nilecare-import-'));
      for (const target of ['clean', 'interrupted'] as const) {
        const { store, dispose } = await pgliteTestStore();
        disposers.push(async () => {
          await store.close();
          await dispose();
        });
        const server = await startTestServer(store, { env: { EXPORT_DIR: join(dir, `exports-${target}`) } });
        disposers.push(() => server.close());
        if (target === 'clean') clean = server;
        else interrupted = server;
      }
      const files = readdirSync(PIPES).filter((f) => f.endsWith('.json') && !f.startsWith('metadata'));
      const reference = files.filter((f) => /Information/.test(f)).sort();
      const patients = files
        .filter((f) => !/Information/.test(f))
        .sort((a, b) => statSync(join(PIPES, a)).size - statSync(join(PIPES, b)).size)
        .slice(0, 6);
      const ndjson = join(dir, 'smart-patient.ndjson');
      ndjsonLines = writeNdjson(ndjson);
      inputs = [...reference.map((f) => join(PIPES, f)), ...patients.map((f) => join(PIPES, f)), ndjson];
    });
    after(async () => {
      for (const d of disposers.reverse()) await d();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('killed (SIGKILL) at three points and rerun: per type exactly the resources of one clean load', async () => {
      const common = ['--batch-size', '50', '--progress-every', '100'];
      const first = await runImporter(clean.baseUrl, [...common, '--state', join(dir, 'clean.json'), ...inputs]);
      assert.equal(first.code, 0, first.stderr + first.stdout.slice(-2000));
      const summary = JSON.parse(first.stdout.slice(first.stdout.indexOf('{')));
      assert.equal(summary.failed, 0);

      // Progress without a terminal: a line per 100 resources loaded, counting loaded resources only.
      const counts = [...first.stdout.matchAll(/^import: (\d+) resources loaded/gm)].map((m) => Number(m[1]));
      assert.ok(counts.length >= 3, `progress lines: ${counts.length}`);
      const hundreds = counts.map((c) => Math.floor(c / 100));
      assert.ok(
        hundreds.every((c, i) => i === 0 || c > hundreds[i - 1]!),
        'a line each time another 100 are loaded',
      );
      assert.ok(counts.at(-1)! <= summary.resources);
      assert.match(
        first.stdout,
        new RegExp(
          `${inputs.length}/${inputs.length} files, ${summary.resources} resources loaded, 0 failed — complete: smart-patient.ndjson`,
        ),
      );
      const entries = inputs
        .filter((f) => f.endsWith('.json'))
        .reduce((n, f) => n + (JSON.parse(readFileSync(f, 'utf8')).entry.length as number), 0);
      assert.equal(summary.resources, entries + ndjsonLines, 'every entry and line counted once, as loaded');

      const types = TYPES;
      const expected = await countsByType(clean, types);
      assert.ok(
        expected['Patient']!.length === 7,
        `6 Synthea patients + 1 from the ndjson file (${expected['Patient']!.length})`,
      );

      const proxy = new KillingProxy(interrupted.baseUrl);
      await proxy.start();
      const state = ['--state', join(dir, 'interrupted.json')];
      try {
        let transactions = 0;
        let ndjsonBatches = 0;
        const kills: Hook[] = [
          // 1. the server committed the first patient transaction; the importer never hears of it
          (b) => (b.type === 'transaction' ? 'kill-after' : 'forward'),
          // 2. killed while the second transaction of this run is on its way (never reaches the server)
          (b) => (b.type === 'transaction' && ++transactions === 2 ? 'kill-before' : 'forward'),
          // 3. the second ndjson batch committed, the answer lost
          (b) =>
            b.type === 'batch' && b.entry?.[0]?.request?.method === 'PUT' && ++ndjsonBatches === 2
              ? 'kill-after'
              : 'forward',
        ];
        for (const [n, hook] of kills.entries()) {
          proxy.hook = hook;
          const run = await runImporter(proxy.url, [...common, ...state, ...inputs], (c) => (proxy.child = c));
          assert.equal(
            run.signal,
            'SIGKILL',
            `kill ${n + 1} happened (exit ${run.code}): ${run.stdout.slice(-500)} ${run.stderr}`,
          );
        }
        proxy.hook = () => 'forward';
        const last = await runImporter(proxy.url, [...common, ...state, ...inputs], (c) => (proxy.child = c));
        assert.equal(last.code, 0, last.stderr + last.stdout.slice(-1500));
        const lastSummary = JSON.parse(last.stdout.slice(last.stdout.indexOf('{')));
        assert.equal(lastSummary.failed, 0);

        // Counts per type equal; ids too, except for the conditional creates of the reference batches (ifNoneExist:
        // the server assigns those ids, in each load anew).
        const actual = await countsByType(interrupted, types);
        const serverAssigned = new Set(['Organization', 'Location', 'Practitioner', 'PractitionerRole']);
        for (const type of types) {
          assert.equal(actual[type]!.length, expected[type]!.length, `${type}: count of one clean load`);
          if (!serverAssigned.has(type)) assert.deepEqual(actual[type], expected[type], `${type}: same ids`);
        }

        const again = await runImporter(proxy.url, [...common, ...state, ...inputs], (c) => (proxy.child = c));
        assert.equal(again.code, 0);
        const againSummary = JSON.parse(again.stdout.slice(again.stdout.indexOf('{')));
        assert.equal(againSummary.skippedFiles, inputs.length, 'a finished import does nothing the second time');
        assert.equal(againSummary.resources, 0);
        assert.deepEqual(await countsByType(interrupted, ['Patient']), { Patient: expected['Patient'] });
      } finally {
        proxy.child?.kill('SIGKILL');
        await proxy.close();
      }
      assert.ok(ndjsonLines > 100);
    });

    it('a file whose entries failed is not complete: the rerun tries it again, exit code 1 until it loads', async () => {
      const file = join(dir, 'bad-transaction.json');
      const patient = (gender: string) => ({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:6f1a0a7e-0000-4000-8000-000000000001',
            resource: { resourceType: 'Patient', name: [{ family: 'Retry' }], gender },
            request: { method: 'POST', url: 'Patient' },
          },
          {
            fullUrl: 'urn:uuid:6f1a0a7e-0000-4000-8000-000000000002',
            resource: {
              resourceType: 'Observation',
              status: 'final',
              code: { text: 'x' },
              subject: { reference: 'urn:uuid:6f1a0a7e-0000-4000-8000-000000000001' },
            },
            request: { method: 'POST', url: 'Observation' },
          },
        ],
      });
      writeFileSync(file, JSON.stringify(patient('femal')));
      const args = ['--state', join(dir, 'retry.json'), file];
      const failed = await runImporter(clean.baseUrl, args);
      assert.equal(failed.code, 1, failed.stdout);
      assert.match(failed.stdout, /FAILED: bad-transaction\.json/);
      const rerun = await runImporter(clean.baseUrl, args);
      assert.equal(rerun.code, 1, 'not skipped: tried again and failed again');
      assert.equal(JSON.parse(rerun.stdout.slice(rerun.stdout.indexOf('{'))).skippedFiles, 0);

      writeFileSync(file, JSON.stringify(patient('female')));
      const fixed = await runImporter(clean.baseUrl, args);
      assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
      assert.equal(JSON.parse(fixed.stdout.slice(fixed.stdout.indexOf('{'))).resources, 2);
      const read = await clean.fhir('/Patient/6f1a0a7e-0000-4000-8000-000000000001');
      assert.equal(read.status, 200, 'the fullUrl UUID is the id');
      const obs = await clean.fhir('/Observation/6f1a0a7e-0000-4000-8000-000000000002');
      assert.equal(obs.body.subject.reference, 'Patient/6f1a0a7e-0000-4000-8000-000000000001');
      const skipped = await runImporter(clean.baseUrl, args);
      assert.equal(JSON.parse(skipped.stdout.slice(skipped.stdout.indexOf('{'))).skippedFiles, 1);
    });

    it('one importer per journal: a second one is refused while the first runs; a killed one’s lock is taken over', async () => {
      const journal = join(dir, 'locked.json');
      const file = join(dir, 'one-patient.json');
      writeFileSync(
        file,
        JSON.stringify({
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            {
              resource: { resourceType: 'Patient', name: [{ family: 'Lock' }] },
              request: { method: 'POST', url: 'Patient' },
            },
          ],
        }),
      );
      writeFileSync(`${journal}.lock`, String(process.pid)); // a live importer (this process) holds it
      const refused = await runImporter(clean.baseUrl, ['--state', journal, file]);
      assert.equal(refused.code, 3, refused.stdout);
      assert.match(refused.stderr, /in use by another importer/);

      const dead = await runImporter(clean.baseUrl, ['--help'], (c) => writeFileSync(`${journal}.lock`, String(c.pid)));
      assert.equal(dead.code, 0);
      const taken = await runImporter(clean.baseUrl, ['--state', journal, file]);
      assert.equal(taken.code, 0, taken.stderr);
      assert.ok(!existsSync(`${journal}.lock`), 'released at the end');
    });
  },
);
