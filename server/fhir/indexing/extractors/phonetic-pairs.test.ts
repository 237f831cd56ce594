/**
 * The phonetic key pairs of a name's first two words (`phonetic~pair`), matching's blocking key: extracted with the
 * phonetic keys from each HumanName, so every store holds them and the reindex rewrites them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Patient, Resource } from '@medplum/fhirtypes';
import { extractIndex } from '../extract-index.js';

const pairsOf = (resource: Resource): string[] =>
  extractIndex(resource)
    .entries.filter((e) => e.kind === 'string' && e.param === 'phonetic~pair')
    .map((e) => (e.kind === 'string' ? e.exact : ''))
    .sort();

const patient = (...name: Patient['name'] & object): Patient => ({ resourceType: 'Patient', name });

describe("phonetic key pairs of personal and father's name", () => {
  it('pairs every key of the first word with every key of the second, in either script', () => {
    assert.deepEqual(pairsOf(patient({ given: ['هاني', 'صالح'], family: 'عثمان' })), ['hn slh', 'hny slh']);
    assert.deepEqual(pairsOf(patient({ given: ['Hani'], family: 'Salih' })), [
      'hn sl',
      'hn slh',
      'hn sly',
      'hn slyh',
      'hny sl',
      'hny slh',
      'hny sly',
      'hny slyh',
    ]);
  });

  it('takes the words in name order across given and family, a compound name as one word, each name apart', () => {
    const pairs = pairsOf(
      patient({ given: ['عبد الرحمن'], family: 'صالح' }, { given: ['Mohamed Ahmed Ali'] }, { text: 'فاطمة الطيب' }),
    );
    assert.ok(pairs.includes('abdrhmn slh'));
    assert.ok(pairs.includes('mhmd ahmd') && pairs.includes('mwhmyd ahmyd'));
    assert.ok(pairs.includes('ftm tyb') && pairs.includes('ftm altyb'));
    assert.ok(!pairs.some((p) => p.includes('aly')), 'only the first two words pair');
    assert.ok(!pairs.includes('rhmn slh') && !pairs.includes('abd rhmn'));
  });

  it('nothing for a one-word name, and none for parameters over other than person names', () => {
    assert.deepEqual(pairsOf(patient({ given: ['محمد'] })), []);
    assert.deepEqual(pairsOf({ resourceType: 'Organization', name: 'Omdurman Teaching Hospital' }), []);
  });
});
