import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IndexEntry } from './index-entry.js';
import { dedupeEntries } from './dedupe.js';

const s = (param: string, exact: string): IndexEntry => ({ kind: 'string', param, value: exact.toLowerCase(), exact });
const t = (param: string, system: string | null, code: string): IndexEntry => ({ kind: 'token', param, system, code });

describe('dedupeEntries', () => {
  it('drops repeats of the same param and value, keeps the first occurrence and the order', () => {
    const entries = [
      s('name', 'Ali'),
      t('gender', 'g', 'male'),
      s('name', 'Ahmed'),
      s('name', 'Ali'),
      s('given', 'Ali'),
      t('code', 'a', 'x'),
      t('code', null, 'x'),
      t('code', 'a', 'x'),
    ];
    assert.deepEqual(dedupeEntries(entries), [
      s('name', 'Ali'),
      t('gender', 'g', 'male'),
      s('name', 'Ahmed'),
      s('given', 'Ali'),
      t('code', 'a', 'x'),
      t('code', null, 'x'),
    ]);
  });

  it('returns the same list when no param repeats', () => {
    const entries = [s('name', 'Ali'), s('given', 'Ali'), t('gender', 'g', 'male')];
    assert.equal(dedupeEntries(entries), entries);
  });

  it("drops a token text that a coded entry of the same param carries (a CodeableConcept's text equal to its display)", () => {
    const coded: IndexEntry = {
      kind: 'token',
      param: 'type',
      system: 'http://snomed.info/sct',
      code: '1',
      text: 'check up',
    };
    const text = (param: string, value: string): IndexEntry => ({
      kind: 'token',
      param,
      system: null,
      code: null,
      text: value,
    });
    const identifier: IndexEntry = {
      kind: 'token',
      param: 'identifier',
      system: 's',
      code: 'v',
      text: 'mrn',
      typeCode: 'MR',
    };
    assert.deepEqual(dedupeEntries([text('type', 'check up'), coded, text('type', 'other words')]), [
      coded,
      text('type', 'other words'),
    ]);
    // another param's text, a lone text, the same text twice, an identifier's type text
    assert.deepEqual(dedupeEntries([coded, text('class', 'check up'), t('class', 'c', 'x')]), [
      coded,
      text('class', 'check up'),
      t('class', 'c', 'x'),
    ]);
    assert.deepEqual(dedupeEntries([text('type', 'a'), text('type', 'a'), text('type', 'b')]), [
      text('type', 'a'),
      text('type', 'b'),
    ]);
    assert.deepEqual(dedupeEntries([identifier, text('identifier', 'mrn')]), [identifier]);
  });
});
