/**
 * `npm run bench -- --quick` at a tiny scale: the benchmark starts the real server on a fresh PostgreSQL database,
 * drives it over HTTP and MLLP, and prints one JSON object with every figure (value, unit, target, met) and the
 * context (store, resources, cores). Skipped when the Synthea corpus is absent.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { ROOT } from './server-process.js';
import { corpusMissing } from '../server/testing/corpus.js';
import { SEARCHES } from './http-figures.js';
import { parseOptions, OptionError } from './options.js';
import pg from 'pg';
import mysql from 'mysql2/promise';

const FIGURES = [
  'ingest',
  'scaleLoad',
  'createSequential',
  'createConcurrent',
  'readById',
  'createCommonName',
  ...Object.keys(SEARCHES).map((s) => `search.${s}`),
  'hl7',
  'hl7NewPatients',
  'peakRss',
  'lastn',
  'compression.gzip',
  'compression.br',
];

/** How long the quick run may take (it needs ~1–3 min on an idle 2-core machine; much longer at load ≥ 20). */
const RUN_SECONDS = Number(process.env.BENCH_SMOKE_TIMEOUT_S ?? 600);

type BenchRun = { stdout: string; stderr: string; status: number | null; timedOut: boolean };

/**
 * bench/run.ts with these options. Past RUN_SECONDS it gets SIGTERM, on which it stops its server and drops its
 * databases (SIGKILL 60 s later; its server then stops on its own, bench/server-entry.ts); if this test process
 * dies, the run sees its stdin close and does the same: nothing is left running.
 */
function runBench(args: string[]): Promise<BenchRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, NILECARE_BENCH_EXIT_WITH_PARENT: '1' }, // ends (cleanly) if this test process dies
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-20_000)));
  let timedOut = false;
  let killer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  }, RUN_SECONDS * 1000);
  return new Promise((resolve) =>
    child.once('close', (status) => {
      clearTimeout(timer);
      clearTimeout(killer);
      resolve({ stdout, stderr, status, timedOut });
    }),
  );
}

/** The database the quick run kept (--keep-db), for the --reuse-db run; dropped at the end. */
let keptDb: string | undefined;

async function dropKept(): Promise<void> {
  if (!keptDb) return;
  const options = parseOptions([], {});
  const c = new pg.Client({ connectionString: options.postgresAdminUrl });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${keptDb} WITH (FORCE)`);
  await c.end();
  const m = await mysql.createConnection(options.interopMysqlUrl.replace(/\/[^/]*$/, '/'));
  await m.query(`DROP DATABASE IF EXISTS \`${keptDb}_interop\``);
  await m.end();
  keptDb = undefined;
}

/** The benchmark's HL7 log databases on the MySQL server now. */
async function benchMysqlDatabases(): Promise<string[]> {
  const m = await mysql.createConnection(parseOptions([], {}).interopMysqlUrl.replace(/\/[^/]*$/, '/'));
  const [rows] = await m.query("SHOW DATABASES LIKE 'nilecare\\_bench\\_%'");
  await m.end();
  return (rows as Array<Record<string, string>>).map((r) => Object.values(r)[0]!).sort();
}

describe('npm run bench --quick', () => {
  after(dropKept);

  it(
    'prints one JSON object with every figure, its target and the run context',
    { timeout: (RUN_SECONDS + 90) * 1000 },
    async (t) => {
      const missing = corpusMissing('synthea/fhir-data-pipes-2021', 'synthea/smart-r4-2019');
      if (missing) {
        t.skip(missing);
        return;
      }
      const run = await runBench([
        '--quick',
        '--resources',
        '900',
        '--samples',
        '5',
        '--creates',
        '20',
        '--concurrency',
        '4',
        '--hl7-messages',
        '8',
        '--keep-db',
      ]);
      keptDb = /store: postgres database (nilecare_bench_\w+)/.exec(run.stderr)?.[1];
      assert.equal(
        run.timedOut,
        false,
        `bench/run.ts did not finish in ${RUN_SECONDS} s; stderr:\n${run.stderr.slice(-2000)}`,
      );
      assert.ok(
        run.stdout.trim().startsWith('{'),
        `stdout is not one JSON object; stderr:\n${run.stderr.slice(-2000)}`,
      );
      const out = JSON.parse(run.stdout);
      assert.deepEqual(out.errors, {}, `phases failed; stderr:\n${run.stderr.slice(-2000)}`);
      assert.equal(run.status, 0);
      assert.equal(out.context.store, 'postgres');
      assert.equal(out.context.cores > 0, true);
      assert.ok(out.context.resources >= 900, `database scaled to ${out.context.resources} resources`);
      for (const name of FIGURES) {
        const f = out.figures[name];
        assert.ok(f, `figure ${name} missing`);
        assert.equal(typeof f.value, 'number', `${name}.value`);
        assert.ok(Number.isFinite(f.value) && f.value > 0, `${name}.value = ${f.value}`);
        assert.equal(typeof f.unit, 'string');
        assert.equal(typeof f.target, 'string');
        assert.ok(f.met === true || f.met === false || (f.met === null && f.target === 'none'), `${name}.met`);
      }
      // Searches return what they look for: the sampled patient's data.
      for (const s of Object.keys(SEARCHES))
        assert.ok(out.figures[`search.${s}`].detail.meanMatches >= 1, `search ${s} matched nothing`);
      assert.ok(out.figures.lastn.detail.meanEntries >= 1, '$lastn found the sampled patients’ vital signs');
      assert.ok(
        out.figures['compression.gzip'].detail.bytesEncoded < out.figures['compression.gzip'].detail.bytesIdentity,
      );
      assert.ok(out.figures.hl7.detail.accepted >= 1, 'no ORU^R01 message was accepted (AA)');
      // The figure of record: results for known patients (8 messages → 2 patients); beside it every message a new one.
      assert.equal(out.figures.hl7.detail.traffic, 'known-patients');
      assert.equal(out.figures.hl7.detail.patients, 2);
      assert.equal(out.figures.hl7NewPatients.detail.patients, 8);
      assert.ok(out.cpu.ingest.serverCpuSeconds > 0, 'server CPU of the ingest phase measured');
      // the server's CPU split in every phase (issue 20): GC pauses and JavaScript (from the server's /metrics, read
      // with the bench's token) and its other threads, beside PostgreSQL; the comparison server's too
      for (const [name, c] of [
        ...Object.entries<Record<string, unknown>>(out.cpu),
        ...Object.entries<Record<string, unknown>>(out.comparison.cpu),
      ]) {
        for (const field of ['gcPauseMsPerUnit', 'javascriptMsPerUnit', 'serverOtherThreadsMsPerUnit'])
          assert.equal(typeof c[field], 'number', `cpu.${name}.${field} = ${c[field]}`);
      }
      assert.ok(out.cpu.ingest.gcPauseMsPerUnit > 0, 'GC pauses of the ingest phase measured');
      // auth on is the run of record; the same requests with auth off, and the CPU ratio of the two
      assert.match(out.context.auth, /^on \(SMART, backend-services token/);
      for (const name of ['createConcurrent', 'readById'])
        assert.ok(out.comparison.figures[name].value > 0, `comparison (auth off) ${name}`);
      assert.equal(out.comparison.auth, 'off');
      assert.ok(out.authCost.reads > 0, 'auth-on/auth-off CPU per read');
    },
  );

  it(
    '--reuse-db measures the request figures on a kept database without loading it',
    { timeout: (RUN_SECONDS + 90) * 1000 },
    async (t) => {
      if (!keptDb) {
        t.skip('the quick run kept no database (skipped or failed above)');
        return;
      }
      const run = await runBench(
        ['--reuse-db', keptDb, '--auth', 'on', '--samples', '5', '--creates', '20', '--concurrency', '4'].concat([
          '--hl7-messages',
          '8',
          '--common-name-creates',
          '10',
        ]),
      );
      assert.equal(run.timedOut, false, `stderr:\n${run.stderr.slice(-2000)}`);
      const out = JSON.parse(run.stdout);
      // loading is not measured; every other phase ran on the existing data
      assert.deepEqual(
        Object.keys(out.errors).sort(),
        ['ingest', 'scaleLoad', 'subscriptionLag', 'subscriptionLagMatching1'],
        run.stderr.slice(-2000),
      );
      assert.match(out.errors.ingest, /--reuse-db/);
      assert.equal(out.context.reusedDatabase, keptDb);
      assert.ok(out.context.resources >= 900, `measured at ${out.context.resources} resources`);
      for (const s of Object.keys(SEARCHES))
        assert.ok(out.figures[`search.${s}`].detail.meanMatches >= 1, `search ${s} matched nothing`);
      assert.ok(out.figures.lastn.detail.meanEntries >= 1, '$lastn found the sampled patients’ vital signs');
      assert.ok(out.figures.readById.value > 0);
      assert.ok(out.figures.hl7.detail.accepted >= 1, 'no ORU^R01 message was accepted (AA)');
      // the run's own HL7 log database is dropped with it
      const log = /HL7 log: MySQL database (\w+)/.exec(run.stderr)?.[1];
      assert.ok(log && log !== `${keptDb}_interop`, `the run named its own HL7 log database (${log})`);
      assert.equal((await benchMysqlDatabases()).includes(log), false);
    },
  );

  it('rejects bad options with a message naming the option', () => {
    assert.throws(
      () => parseOptions(['--store', 'oracle'], {}),
      (e: unknown) => e instanceof OptionError && /--store/.test(e.message),
    );
    assert.throws(
      () => parseOptions(['--resources', '-3'], {}),
      (e: unknown) => e instanceof OptionError && /--resources/.test(e.message),
    );
    assert.throws(
      () => parseOptions(['--frobnicate'], {}),
      (e: unknown) => e instanceof OptionError && /unknown option --frobnicate/.test(e.message),
    );
    assert.throws(
      () => parseOptions(['--store', 'mongo'], {}),
      (e: unknown) => e instanceof OptionError && /MONGODB_URL/.test(e.message),
    );
    assert.throws(
      () => parseOptions(['--reuse-db', 'x; DROP'], {}),
      (e: unknown) => e instanceof OptionError && /--reuse-db/.test(e.message),
    );
    assert.equal(parseOptions(['--reuse-db', 'kept_db'], {}).keepDb, true);
    assert.equal(parseOptions([], {}).resources, 1_000_000);
    assert.equal(parseOptions(['--quick'], {}).resources < 10_000, true);
  });
});
