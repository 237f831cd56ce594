import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareVersions, loadMigrationFolder, parseMigrationName } from './migration-file.js';

describe('Flyway migration names', () => {
  it('parses versioned, undo and repeatable names as the reference names them', () => {
    assert.deepEqual(parseMigrationName('V1__Initial_schema.sql'), {
      kind: 'versioned',
      version: '1',
      description: 'Initial schema',
    });
    assert.deepEqual(parseMigrationName('U1__Rollback_initial_schema.sql'), {
      kind: 'undo',
      version: '1',
      description: 'Rollback initial schema',
    });
    assert.deepEqual(parseMigrationName('R__Create_views.sql'), {
      kind: 'repeatable',
      version: null,
      description: 'Create views',
    });
    assert.deepEqual(parseMigrationName('V1_2__Add_index.sql'), {
      kind: 'versioned',
      version: '1.2',
      description: 'Add index',
    });
    assert.equal(parseMigrationName('V1_Initial.sql'), null);
    assert.equal(parseMigrationName('README.md'), null);
  });
  it('orders versions numerically', () => {
    assert.deepEqual(['10', '2', '1.1', '1'].sort(compareVersions), ['1', '1.1', '2', '10']);
    assert.equal(compareVersions('1.0', '1'), 0);
  });
  it('loads a folder in order and refuses duplicate versions and stray .sql names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mig-'));
    try {
      writeFileSync(join(dir, 'V10__Ten.sql'), 'SELECT 10;');
      writeFileSync(join(dir, 'V2__Two.sql'), 'SELECT 2;');
      writeFileSync(join(dir, 'R__Views.sql'), 'SELECT 0;');
      writeFileSync(join(dir, 'U2__Undo_two.sql'), 'SELECT -2;');
      writeFileSync(join(dir, 'notes.txt'), 'ignored');
      assert.deepEqual(
        loadMigrationFolder(dir).map((f) => f.script),
        ['V2__Two.sql', 'U2__Undo_two.sql', 'V10__Ten.sql', 'R__Views.sql'],
      );
      writeFileSync(join(dir, 'V002__Again.sql'), 'SELECT 2;');
      assert.throws(() => loadMigrationFolder(dir), /same version 2/);
      rmSync(join(dir, 'V002__Again.sql'));
      writeFileSync(join(dir, 'schema.sql'), 'SELECT 1;');
      assert.throws(() => loadMigrationFolder(dir), /not a Flyway name/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(() => loadMigrationFolder(join(tmpdir(), 'no-such-folder-xyz')), /not found/);
  });
});
