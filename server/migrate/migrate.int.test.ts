import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { flywayChecksum } from './checksum.js';
import type { Engine } from './connection.js';
import {
  baselineDatabase,
  infoDatabase,
  migrateDatabase,
  MigrationError,
  repairDatabase,
  undoDatabase,
  validateDatabase,
  type MigrateOptions,
} from './migrate.js';
import { createTestDatabase, type TestDatabase } from './testing/test-databases.js';
import { serverMissing } from '../../migrations/test/harness.js';

/** Scripts for a throw-away logical database `runner_demo`, per engine. */
const scripts = (engine: Engine) => ({
  'V1__Create_patients.sql': `CREATE TABLE patients (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL);\nINSERT INTO patients VALUES (1, 'Amna');\n${engine === 'mysql' ? 'SELECT SLEEP(0.3);' : 'SELECT pg_sleep(0.3);'}\n`,
  'U1__Drop_patients.sql': 'DROP VIEW IF EXISTS v_patients;\nDROP TABLE patients;\n',
  'V2__Add_phone.sql': 'ALTER TABLE patients ADD COLUMN phone VARCHAR(20);\n',
  'U2__Drop_phone.sql': 'ALTER TABLE patients DROP COLUMN phone;\n',
  'R__Views.sql': 'CREATE OR REPLACE VIEW v_patients AS SELECT id, name FROM patients;\n',
});

async function sql(
  engine: Engine,
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  if (engine === 'mysql') {
    const c = await mysql.createConnection({ uri: url });
    try {
      return (await c.query(text, params))[0] as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (
      await c.query(
        text.replace(
          /\?/g,
          (() => {
            let k = 0;
            return () => `$${++k}`;
          })(),
        ),
        params,
      )
    ).rows;
  } finally {
    await c.end();
  }
}

for (const engine of ['mysql', 'postgres'] as const) {
  describe(`migration runner on ${engine}`, { skip: await serverMissing(engine) }, () => {
    let root: string;
    let dir: string;
    let db: TestDatabase;
    let opts: MigrateOptions;
    const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
    const history = () =>
      sql(
        engine,
        db.url,
        'SELECT installed_rank, version, description, type, script, checksum, success FROM flyway_schema_history ORDER BY installed_rank',
      );

    before(async () => {
      root = mkdtempSync(join(tmpdir(), 'nilecare-migr-'));
      dir = join(root, engine, 'runner_demo');
      mkdirSync(dir, { recursive: true });
      for (const [name, text] of Object.entries(scripts(engine))) write(name, text);
      db = await createTestDatabase(engine, 'runner_demo');
      opts = { engine, database: 'runner_demo', connection: { url: db.url }, migrationsRoot: root };
    });
    after(async () => {
      await db?.drop();
      rmSync(root, { recursive: true, force: true });
    });

    it('migrates to a target, then to the latest, keeping Flyway history rows with Flyway checksums', async () => {
      const lines: string[] = [];
      const first = await migrateDatabase({ ...opts, target: '1', log: (l) => lines.push(l) });
      assert.deepEqual(
        first.applied.map((a) => a.script),
        ['V1__Create_patients.sql', 'R__Views.sql'],
        'repeatables follow any target, as in Flyway',
      );
      assert.equal(first.targetVersion, '1');
      assert.ok(
        lines.some((l) => l.includes('Migrating schema to version "1 - Create patients"')),
        lines.join('\n'),
      );
      const second = await migrateDatabase(opts);
      assert.equal(second.initialVersion, '1');
      assert.equal(second.targetVersion, '2');
      assert.ok(second.applied.some((a) => a.script === 'V2__Add_phone.sql'));
      assert.ok(
        second.applied.some((a) => a.script === 'R__Views.sql'),
        'views are re-created after new versions',
      );
      const h = await history();
      const v1 = h.find((r) => r.script === 'V1__Create_patients.sql')!;
      assert.deepEqual(
        [v1.version, v1.description, v1.type, Number(v1.checksum), Boolean(Number(v1.success) || v1.success === true)],
        ['1', 'Create patients', 'SQL', flywayChecksum(scripts(engine)['V1__Create_patients.sql']), true],
      );
      assert.ok(h.some((r) => r.script === 'R__Views.sql' && r.version === null));
      const again = await migrateDatabase(opts);
      assert.deepEqual(again.applied, [], 'nothing to do the second time');
      assert.deepEqual(await sql(engine, db.url, 'SELECT id, name FROM v_patients'), [{ id: 1, name: 'Amna' }]);
    });

    it('validate catches an edited applied file and migrate then refuses to run; repair realigns', async () => {
      write(
        'V1__Create_patients.sql',
        scripts(engine)['V1__Create_patients.sql'].replace('VARCHAR(50)', 'VARCHAR(80)'),
      );
      write('V3__Add_email.sql', 'ALTER TABLE patients ADD COLUMN email VARCHAR(100);\n');
      const v = await validateDatabase(opts);
      assert.equal(v.valid, false);
      assert.match(v.errors.join('\n'), /checksum mismatch for version 1 \(V1__Create_patients\.sql\)/);
      await assert.rejects(
        migrateDatabase(opts),
        (e: unknown) =>
          e instanceof MigrationError && /Validate failed/.test(e.message) && /checksum mismatch/.test(e.message),
      );
      const cols = await sql(
        engine,
        db.url,
        engine === 'mysql'
          ? "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'patients' AND column_name = 'email'"
          : "SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'patients' AND column_name = 'email'",
      );
      assert.equal(cols.length, 0, 'V3 was not applied');
      const info = await infoDatabase(opts);
      assert.ok(info.rows.find((r) => r.version === '1')!.checksumMismatch);
      const repaired = await repairDatabase(opts);
      assert.deepEqual(repaired.realignedChecksums, ['V1__Create_patients.sql']);
      assert.equal((await validateDatabase(opts)).valid, true);
      assert.equal((await migrateDatabase(opts)).targetVersion, '3');
    });

    it('a failing migration is reported with its line; PostgreSQL rolls it back, MySQL records it as failed until repair', async () => {
      write('V4__Broken.sql', 'CREATE TABLE v4_first (id INT);\nCREATE TABLE v4_second (id INT, oops NOT_A_TYPE);\n');
      await assert.rejects(
        migrateDatabase(opts),
        (e: unknown) =>
          e instanceof MigrationError && /V4__Broken\.sql failed/.test(e.message) && /line 2/.test(e.message),
      );
      const first = await sql(
        engine,
        db.url,
        engine === 'mysql'
          ? "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'v4_first'"
          : "SELECT table_name FROM information_schema.tables WHERE table_name = 'v4_first'",
      );
      const failedRows = (await history()).filter((r) => r.version === '4');
      if (engine === 'postgres') {
        assert.equal(first.length, 0, 'the whole file was rolled back');
        assert.equal(failedRows.length, 0);
      } else {
        assert.equal(first.length, 1, 'MySQL DDL before the failure stays (implicit commit)');
        assert.equal(failedRows.length, 1);
        assert.ok(!(Number(failedRows[0]!.success) === 1));
        assert.match((await validateDatabase(opts)).errors.join(), /failed migration version 4/);
        await assert.rejects(migrateDatabase(opts), /failed migration version 4/);
        assert.equal((await repairDatabase(opts)).removedFailedRows, 1);
        await sql(engine, db.url, 'DROP TABLE v4_first');
      }
      write('V4__Broken.sql', 'CREATE TABLE v4_first (id INT);\nCREATE TABLE v4_second (id INT);\n');
      assert.equal((await migrateDatabase(opts)).targetVersion, '4');
    });

    it('undo runs U scripts newest first, refuses without one, and a new migrate re-applies versions and views', async () => {
      await assert.rejects(undoDatabase(opts), /no U script for[\s\S]*version 4/);
      unlinkSync(join(dir, 'V3__Add_email.sql'));
      await assert.rejects(undoDatabase(opts), /not resolved locally: version 3/, 'validation runs before undo');
      unlinkSync(join(dir, 'V4__Broken.sql'));
      await assert.rejects(
        undoDatabase(opts),
        /newer than the local migrations/,
        'never undo below versions it cannot see',
      );
      write('V3__Add_email.sql', 'ALTER TABLE patients ADD COLUMN email VARCHAR(100);\n');
      write('U3__Drop_email.sql', 'ALTER TABLE patients DROP COLUMN email;\n');
      write('V4__Broken.sql', 'CREATE TABLE v4_first (id INT);\nCREATE TABLE v4_second (id INT);\n');
      write('U4__Drop_v4.sql', 'DROP TABLE v4_second;\nDROP TABLE v4_first;\n');
      const one = await undoDatabase(opts);
      assert.deepEqual([one.applied.map((a) => a.script), one.targetVersion], [['U4__Drop_v4.sql'], '3']);
      const toZero = await undoDatabase({ ...opts, target: '0' });
      assert.deepEqual(
        toZero.applied.map((a) => a.script),
        ['U3__Drop_email.sql', 'U2__Drop_phone.sql', 'U1__Drop_patients.sql'],
      );
      const info = await infoDatabase(opts);
      assert.equal(info.currentVersion, null);
      assert.deepEqual(
        info.rows.filter((r) => r.category === 'Versioned').map((r) => r.state),
        ['Undone', 'Undone', 'Undone', 'Undone'],
      );
      const redo = await migrateDatabase(opts);
      assert.deepEqual(
        redo.applied.map((a) => a.script),
        ['V1__Create_patients.sql', 'V2__Add_phone.sql', 'V3__Add_email.sql', 'V4__Broken.sql', 'R__Views.sql'],
      );
      assert.deepEqual(await sql(engine, db.url, 'SELECT id, name FROM v_patients'), [{ id: 1, name: 'Amna' }]);
    });

    it('baseline adopts an existing database: versions up to it are skipped', async () => {
      const existing = await createTestDatabase(engine, 'runner_demo');
      try {
        const o = { ...opts, connection: { url: existing.url } };
        await sql(engine, existing.url, 'CREATE TABLE patients (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL)');
        assert.equal(await baselineDatabase({ ...o, target: '1' }), '1');
        await assert.rejects(baselineDatabase({ ...o, target: '1' }), /already has 1 row/);
        const r = await migrateDatabase(o);
        assert.deepEqual(
          [r.initialVersion, r.applied.map((a) => a.script)[0], r.targetVersion],
          ['1', 'V2__Add_phone.sql', '4'],
        );
        assert.equal((await infoDatabase(o)).rows[0]!.state, 'Below Baseline');
      } finally {
        await existing.drop();
      }
    });

    it('two concurrent migrate runs apply each version exactly once (database lock)', async () => {
      const fresh = await createTestDatabase(engine, 'runner_demo');
      try {
        const o = { ...opts, connection: { url: fresh.url } };
        const waits: string[] = [];
        const [a, b] = await Promise.all([
          migrateDatabase({ ...o, log: (l) => waits.push(l) }),
          migrateDatabase({ ...o, log: (l) => waits.push(l) }),
        ]);
        const applied = [...a.applied, ...b.applied]
          .filter((x) => x.version !== null)
          .map((x) => x.version)
          .sort();
        assert.deepEqual(applied, ['1', '2', '3', '4']);
        assert.ok(
          a.applied.length === 0 || b.applied.length === 0,
          'one run did everything, the other found nothing to do',
        );
        assert.ok(
          waits.some((l) => /Waiting for the migration lock/.test(l)),
          'the second run waited for the lock',
        );
        const rows = await sql(
          engine,
          fresh.url,
          'SELECT version, COUNT(*) AS n FROM flyway_schema_history WHERE version IS NOT NULL GROUP BY version ORDER BY version',
        );
        assert.deepEqual(
          rows.map((r) => [r.version, Number(r.n)]),
          [
            ['1', 1],
            ['2', 1],
            ['3', 1],
            ['4', 1],
          ],
        );
      } finally {
        await fresh.drop();
      }
    });
  });
}
