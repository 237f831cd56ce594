import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { runCli } from './cli.js';
import { createTestDatabase, type TestDatabase } from './testing/test-databases.js';
import { serverMissing } from '../../migrations/test/harness.js';

const mysqlMissing = await serverMissing('mysql');
const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));

/** In process (fast): exit status and what was printed. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) }, {});
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** As a separate process, the way `npm run migrate` runs. */
function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { ...process.env, MIGRATE_ENGINE: '', MIGRATE_DATABASE: '', MIGRATE_URL: '' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('migrate CLI', () => {
  it('prints help and rejects bad arguments with exit status 2 (in process)', async () => {
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /Usage: npm run migrate/);
    assert.match(help.out, /--target <version>/);
    const engine = await cli(['migrate', '--engine', 'oracle']);
    assert.equal(engine.code, 2);
    assert.match(engine.err, /--engine must be mysql or postgres/);
    const command = await cli(['frobnicate']);
    assert.equal(command.code, 2);
    assert.match(command.err, /unknown command "frobnicate"/);
    const target = await cli(['migrate', '-d', 'nilecare_auth', '--target', 'v2']);
    assert.equal(target.code, 2);
  });

  describe('against MariaDB', { skip: mysqlMissing }, () => {
    let root: string;
    let db: TestDatabase;
    before(async () => {
      root = mkdtempSync(join(tmpdir(), 'nilecare-cli-'));
      const dir = join(root, 'mysql', 'cli_demo');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'V1__Slow_table.sql'), 'CREATE TABLE t (id INT PRIMARY KEY);\nSELECT SLEEP(1.5);\n');
      writeFileSync(join(dir, 'V2__Seed.sql'), 'INSERT INTO t VALUES (1);\n');
      db = await createTestDatabase('mysql', 'cli_demo');
    });
    after(async () => {
      await db?.drop();
      rmSync(root, { recursive: true, force: true });
    });

    it('two migrate processes at once apply each version exactly once', async () => {
      const args = ['migrate', '-e', 'mysql', '-d', 'cli_demo', '--url', db.url, '--dir', root];
      const [a, b] = await Promise.all([run(args), run(args)]);
      assert.equal(a.code, 0, a.out + a.err);
      assert.equal(b.code, 0, b.out + b.err);
      const both = a.out + b.out;
      assert.equal(both.match(/Migrating schema to version "1 - Slow table"/g)?.length, 1, both);
      assert.match(both, /No migration necessary/);
      const c = await mysql.createConnection({ uri: db.url });
      const [rows] = await c.query(
        'SELECT version, COUNT(*) AS n FROM flyway_schema_history GROUP BY version ORDER BY version',
      );
      await c.end();
      assert.deepEqual(
        (rows as { version: string; n: number }[]).map((r) => [r.version, Number(r.n)]),
        [
          ['1', 1],
          ['2', 1],
        ],
      );
    });

    it('info prints the state table (and JSON); validate exits 1 after an applied file is edited', async () => {
      const info = await cli(['info', '-e', 'mysql', '-d', 'cli_demo', '--url', db.url, '--dir', root]);
      assert.equal(info.code, 0);
      assert.match(info.out, /\| Versioned \| 1 +\| Slow table +\| SQL +\| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| Success/);
      const json = await cli(['info', '--json', '-e', 'mysql', '-d', 'cli_demo', '--url', db.url, '--dir', root]);
      const parsed = JSON.parse(json.out.split('\n').find((l) => l.startsWith('{'))!);
      assert.equal(parsed.currentVersion, '2');
      writeFileSync(join(root, 'mysql', 'cli_demo', 'V2__Seed.sql'), 'INSERT INTO t VALUES (2);\n');
      const validate = await cli(['validate', '-e', 'mysql', '-d', 'cli_demo', '--url', db.url, '--dir', root]);
      assert.equal(validate.code, 1);
      assert.match(validate.out, /ERROR: Migration checksum mismatch for version 2 \(V2__Seed\.sql\)/);
      const migrate = await cli(['migrate', '-e', 'mysql', '-d', 'cli_demo', '--url', db.url, '--dir', root]);
      assert.equal(migrate.code, 1);
      assert.match(migrate.out, /Validate failed/);
    });

    it('says how to fix a missing database', async () => {
      const missing = await cli([
        'info',
        '-e',
        'mysql',
        '-d',
        'cli_demo',
        '--schema',
        'cli_demo_does_not_exist',
        '--dir',
        root,
      ]);
      assert.equal(missing.code, 1);
      assert.match(missing.out, /does not exist: add --create/);
    });
  });
});
