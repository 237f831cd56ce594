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
});
