/**
 * The dates the name + birth-date blocking searches also look up (nearBirthDates): exactly the real full dates other
 * than the birth date that the comparison counts as a partial birth-date match — a day apart in the same month, day
 * and month swapped — never a date across a month's end, a 29 February of a common year, or a coarser date.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Patient } from '@medplum/fhirtypes';
import { comparePatients, nearBirthDates } from './compare-patients.js';
import { loadMatchProfile } from './match-profile.js';
import { patientFeatures } from './patient-features.js';

const profile = loadMatchProfile();
const reasonOf = (a: string, b: string) => {
  const born = (birthDate: string): Patient => ({ resourceType: 'Patient', birthDate });
  const { reasons } = comparePatients(patientFeatures(born(a), profile), patientFeatures(born(b), profile), profile);
  return reasons.find((r) => r.startsWith('birthDate'));
};

describe('nearBirthDates', () => {
  it('a day before and after in the same month, day and month swapped', () => {
    assert.deepEqual(nearBirthDates('1985-07-03'), ['1985-07-02', '1985-07-04', '1985-03-07']);
    assert.deepEqual(nearBirthDates('1985-06-14'), ['1985-06-13', '1985-06-15']); // no 6th day of month 14
    assert.deepEqual(nearBirthDates('1990-03-03'), ['1990-03-02', '1990-03-04']); // swapped is the same date
  });

  it('never across a month end, nor a day that does not exist', () => {
    assert.deepEqual(nearBirthDates('1985-01-01'), ['1985-01-02']);
    assert.deepEqual(nearBirthDates('1985-01-31'), ['1985-01-30']);
    assert.deepEqual(nearBirthDates('1985-02-28'), ['1985-02-27']);
    assert.deepEqual(nearBirthDates('1984-02-28'), ['1984-02-27', '1984-02-29']);
    assert.deepEqual(nearBirthDates('1985-04-30'), ['1985-04-29']);
    assert.deepEqual(nearBirthDates('1985-12-02'), ['1985-12-01', '1985-12-03', '1985-02-12']);
  });

  it('nothing for a year, a month or a malformed date', () => {
    for (const date of ['1985', '1985-07', '1985-7-3', '', '1985-07-03T10:00:00Z'])
      assert.deepEqual(nearBirthDates(date), []);
  });

  it('each is a partial birth-date match, the birth date itself exact', () => {
    for (const date of ['1985-07-03', '1984-02-28', '1985-12-02', '1985-01-31']) {
      for (const near of nearBirthDates(date))
        assert.equal(reasonOf(date, near), 'birthDate +4.5', `${date} ~ ${near}`);
      assert.equal(reasonOf(date, date), 'birthDate +6');
    }
  });
});
