/**
 * The write statement's text (its prepared name, planned on each pool connection) depends on which tables a batch
 * touches, not on the order in which its entries come.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IndexEntry } from '../../fhir/indexing/index-entry.js';
import type { VersionWrite } from '../resource-store.js';
import { day, qty, str, tok } from './search/testing/search-test-helpers.js';
import { versionsStatement } from './write-versions.js';

function write(id: string, versionId: number, entries: IndexEntry[], compartments: string[] = []): VersionWrite {
  const lastUpdated = '2026-12-07T10:00:00.000Z';
  return {
    resourceType: 'Observation',
    id,
    versionId,
    lastUpdated,
    resource: { resourceType: 'Observation', id, meta: { versionId: String(versionId), lastUpdated } } as never,
    index: { entries, compartments },
  };
}

const textOf = (writes: VersionWrite[]) => versionsStatement(writes).text;

describe('write statement shapes', () => {
  it('one text for the same tables, whatever the order of the entries and of the writes', () => {
    const code = tok('code', 'http://loinc.org', '1-8');
    const date = day('date', '2026-01-01');
    const name = str('name', 'Amina');
    const texts = new Set([
      textOf([write('a', 1, [code, date, name])]),
      textOf([write('a', 1, [name, date, code])]),
      textOf([write('a', 1, [date]), write('b', 1, [name, code])]),
      textOf([write('a', 1, [name]), write('b', 1, [code, date])]),
    ]);
    assert.equal(texts.size, 1);
  });

  it('another text for other tables, for updates', () => {
    const texts = new Set([
      textOf([write('a', 1, [str('name', 'Amina')])]),
      textOf([write('a', 1, [str('name', 'Amina'), qty('value-quantity', 5, 'mg')])]),
      textOf([write('a', 1, [str('name', 'Amina')], ['Patient/p1'])]),
      textOf([write('a', 2, [str('name', 'Amina')])]),
    ]);
    assert.equal(texts.size, 4);
  });
});
