import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { flywayChecksum } from './checksum.js';
import type { HistoryRow } from './history-table.js';
import type { MigrationFile } from './migration-file.js';
import { computeState, validationErrors } from './migration-state.js';

const file = (script: string, sql: string): MigrationFile => {
  const m = /^([VUR])(\d*)__(.+)\.sql$/.exec(script)!;
  const kind = m[1] === 'V' ? 'versioned' : m[1] === 'U' ? 'undo' : 'repeatable';
  return {
    kind,
    version: m[2] || null,
    description: m[3]!.replace(/_/g, ' '),
    script,
    path: script,
    sql,
    checksum: flywayChecksum(sql),
  };
};
let rank = 0;
const row = (f: MigrationFile, over: Partial<HistoryRow> = {}): HistoryRow => ({
  installedRank: ++rank,
  version: f.version,
  description: f.description,
  type: f.kind === 'undo' ? 'UNDO_SQL' : 'SQL',
  script: f.script,
  checksum: f.checksum,
  installedBy: 'test',
  installedOn: '',
  executionTime: 1,
  success: true,
  ...over,
});
const states = (s: ReturnType<typeof computeState>) =>
  s.rows.map((r) => `${r.script}:${r.state}${r.checksumMismatch ? '!' : ''}`);

describe('computeState / validationErrors', () => {
  const v1 = file('V1__A.sql', 'CREATE TABLE a (x INT);');
  const v2 = file('V2__B.sql', 'CREATE TABLE b (x INT);');
  const u2 = file('U2__Undo_b.sql', 'DROP TABLE b;');
  const r = file('R__Views.sql', 'CREATE VIEW v AS SELECT 1;');

  it('pending, applied, undone and outdated repeatables', () => {
    assert.deepEqual(states(computeState([v1, v2, u2, r], [])), [
      'V1__A.sql:Pending',
      'V2__B.sql:Pending',
      'R__Views.sql:Pending',
    ]);
    const h = [row(v1), row(v2), row(r)];
    const s = computeState([v1, v2, u2, r], h);
    assert.deepEqual(states(s), ['V1__A.sql:Success', 'V2__B.sql:Success', 'R__Views.sql:Success']);
    assert.equal(s.currentVersion, '2');
    const undone = computeState([v1, v2, u2, r], [...h, row(u2)]);
    assert.deepEqual(states(undone), ['V1__A.sql:Success', 'V2__B.sql:Undone', 'R__Views.sql:Outdated']);
    assert.equal(undone.currentVersion, '1');
    const changedView = computeState([v1, v2, u2, file('R__Views.sql', 'CREATE VIEW v AS SELECT 2;')], h);
    assert.equal(changedView.rows.at(-1)!.state, 'Outdated');
    assert.deepEqual(validationErrors(changedView), [], 'a changed repeatable is pending, not an error');
  });

  it('refuses an edited applied file, a failed row, a missing file and an out-of-order version', () => {
    const edited = computeState([file('V1__A.sql', 'CREATE TABLE a (x BIGINT);'), v2], [row(v1), row(v2)]);
    assert.deepEqual(states(edited), ['V1__A.sql:Success!', 'V2__B.sql:Success']);
    assert.match(validationErrors(edited).join(), /checksum mismatch for version 1/);
    assert.match(
      validationErrors(computeState([v1, v2], [row(v1), row(v2, { success: false })])).join(),
      /failed migration version 2/,
    );
    assert.match(validationErrors(computeState([v2], [row(v1), row(v2)])).join(), /not resolved locally: version 1/);
    assert.match(
      validationErrors(computeState([v1, v2], [row(v2)])).join(),
      /version 1 .* older than the current version 2/,
    );
    assert.deepEqual(states(computeState([v1], [row(v1), row(v2)])), ['V1__A.sql:Success', 'V2__B.sql:Future']);
  });

  it('a Flyway BASELINE row makes older versions "Below Baseline" and sets the current version', () => {
    const base: HistoryRow = {
      ...row(v1),
      version: '1',
      type: 'BASELINE',
      script: '<< Flyway Baseline >>',
      checksum: null,
    };
    const s = computeState([v1, v2], [base]);
    assert.deepEqual(states(s), ['V1__A.sql:Below Baseline', 'V2__B.sql:Pending']);
    assert.equal(s.currentVersion, '1');
    assert.deepEqual(validationErrors(s), []);
  });
});
