/**
 * The criteria index kept one subscription at a time: after adds, replacements (criteria changed), removals (off,
 * deleted) and re-adds, `matching` answers exactly what evaluating every current subscription's criteria with the
 * server's search semantics (matchesCriteria) answers, for resources that hit token buckets and the any-code list.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { CriteriaIndex } from './criteria-index.js';
import { matchesCriteria, parseCriteria, type Criteria } from './subscription-criteria.js';

const TYPES = new Set(['Observation', 'Patient', 'Encounter']);
const BASE = 'http://example.org/fhir';
const obs = (id: string, code: string, status = 'final'): Resource =>
  ({
    resourceType: 'Observation',
    id,
    status,
    code: { coding: [{ system: 'http://loinc.org', code }] },
    meta: { lastUpdated: '2026-12-07T00:00:00Z' },
  }) as Resource;
const resources: Resource[] = [
  obs('o1', '1234-5'),
  obs('o2', '9999-9'),
  obs('o3', '1234-5', 'amended'),
  obs('o4', 'ABC-1'),
  { resourceType: 'Patient', id: 'p1', gender: 'female' },
  { resourceType: 'Encounter', id: 'e1', status: 'finished' } as Resource,
];

describe('CriteriaIndex kept incrementally', () => {
  it('matches as a full evaluation does after every add, replace and remove', () => {
    const index = new CriteriaIndex<string>(BASE);
    const current = new Map<string, Criteria>();
    const check = (step: string) => {
      for (const r of resources) {
        const expected = [...current]
          .filter(([, c]) => c.resourceType === r.resourceType && matchesCriteria(r, c, BASE))
          .map(([k]) => k)
          .sort();
        assert.deepEqual(index.matching(r).sort(), expected, `${step}: ${r.resourceType}/${r.id}`);
      }
      assert.equal(index.size, current.size, step);
      for (const type of TYPES)
        assert.equal(
          index.has(type),
          [...current.values()].some((c) => c.resourceType === type),
          `${step}: has ${type}`,
        );
    };
    const put = (key: string, text: string) => {
      const c = parseCriteria(text, TYPES);
      index.add(key, key, c);
      current.set(key, c);
    };
    const drop = (key: string) => {
      index.remove(key);
      current.delete(key);
    };
    check('empty');
    put('a', 'Observation?code=http://loinc.org|1234-5');
    put('b', 'Observation?code=1234-5,9999-9');
    put('c', 'Observation?status=final');
    put('d', 'Patient?gender=female');
    put('e', 'Observation');
    check('added');
    put('a', 'Observation?code=http://loinc.org|9999-9'); // criteria changed: moves to another token bucket
    check('a replaced');
    put('c', 'Observation?code=abc-1&status=final'); // from any-code to a token bucket
    check('c replaced');
    drop('b'); // off or deleted
    check('b removed');
    drop('d');
    check('d removed: Patient no longer watched');
    drop('d'); // twice: nothing
    check('d removed again');
    put('b', 'Observation?code:not=1234-5'); // back, negated: any-code list
    put('f', 'Encounter?status=finished');
    check('re-added');
    for (const key of [...current.keys()]) drop(key);
    check('all removed');
    assert.equal(index.matching(resources[0]!).length, 0);
  });

  it('a criteria that does not parse changes nothing (the old entry stays)', () => {
    const index = new CriteriaIndex<string>(BASE);
    index.add('a', 'a', parseCriteria('Observation?code=1234-5', TYPES));
    assert.throws(() => index.add('a', 'a', { resourceType: 'Observation', params: [['no-such-param', 'x']] }));
    assert.deepEqual(index.matching(resources[0]!), ['a']);
  });
});
