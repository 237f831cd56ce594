/**
 * The name + birth-date blocking searches carry their `phonetic` condition built from the keys the match features
 * hold (phoneticWord) instead of a `phonetic=<word>` parameter parsed again: the same condition as the parse gives,
 * for every word of every name of the match test set (arabic-name-pairs.json: each Arabic name, its Latin spellings,
 * the Arabic typed other ways) and of a generated population's positive and negative queries.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HumanName, Patient } from '@medplum/fhirtypes';
import { parseSearch } from '../search/parse-search.js';
import { escapeValue } from '../search/split-values.js';
import { FULL_ACCESS } from '../access-policy.js';
import { loadMatchProfile } from './match-profile.js';
import { blockingQueries, phoneticWord } from './match-patients.js';
import { nameWordsOf, patientFeatures } from './patient-features.js';
import { makePopulation, PAIRS } from './testing/name-population.js';

const parsed = (text: string) =>
  parseSearch(['Patient'], [['phonetic', escapeValue(text)]], { access: FULL_ACCESS }).query.conditions[0];

describe('phoneticWord', () => {
  it('is the condition of `phonetic=<word>` for every word of the test names', () => {
    const texts = new Set<string>();
    for (const entry of [...PAIRS.given, ...PAIRS.family, ...PAIRS.people])
      for (const text of [entry.ar, ...entry.latin]) texts.add(text);
    for (const spelling of PAIRS.arabicSpellings) for (const text of [spelling.ar, ...spelling.typed]) texts.add(text);
    const { stored, positives, negatives } = makePopulation(500, 7);
    const patients: Patient[] = [
      ...stored,
      ...positives(150).map((q) => q.patient),
      ...negatives(100).map((q) => q.patient),
    ];
    const names: HumanName[] = [
      ...[...texts].map((text) => ({ given: [text] })),
      ...patients.flatMap((p) => p.name ?? []),
    ];
    const words = new Map(names.flatMap((name) => nameWordsOf(name).map((word) => [JSON.stringify(word), word])));
    for (const [what, word] of words) assert.deepEqual(phoneticWord(word), parsed(word.text), what);
    assert.ok(words.size > 500, `${words.size} words`);
  });

  it('leads the name searches by the birth date, the word probed', () => {
    const profile = loadMatchProfile();
    const probe: Patient = {
      resourceType: 'Patient',
      name: [{ given: ['عبد الرحمن'], family: 'أحمد علي' }],
      birthDate: '1985-07-03',
      gender: 'male',
    };
    const named = blockingQueries(patientFeatures(probe, profile), profile).filter((q) => q.lead === 'birthdate');
    assert.deepEqual(
      named.map((q) => [q.params, q.where]),
      [
        [[['birthdate', '1985-07-03,1985-07-02,1985-07-04,1985-03-07']], [parsed('عبد الرحمن')]],
        [[['birthdate', '1985-07-03,1985-07-02,1985-07-04,1985-03-07']], [parsed('علي')]],
      ],
    );
  });
});
