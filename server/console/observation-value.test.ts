/**
 * The patient chart's value column (public/js/observation-value.js, issue 19 item 8): blood pressure reads
 * systolic/diastolic whatever the order of the components (Synthea lists diastolic first: "77.89/134.63" was shown),
 * picked by LOINC code only; a missing half is shown as missing, never replaced by the other one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Observation, ObservationComponent } from '@medplum/fhirtypes';
import { bloodPressureText, observationValueText } from './public/js/observation-value.js';
import { corpusMissing, corpusPath } from '../testing/corpus.js';

const LOINC = 'http://loinc.org';
const mmHg = (value: number) => ({ value, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' });
const part = (code: string, value: number, system = LOINC): ObservationComponent => ({
  code: { coding: [{ system, code }] },
  valueQuantity: mmHg(value),
});
const pressure = (...component: ObservationComponent[]): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: LOINC, code: '85354-9' }], text: 'Blood pressure panel' },
  component,
});

describe('patient chart: observation values', () => {
  it('shows blood pressure as systolic/diastolic whichever component comes first', () => {
    assert.equal(
      observationValueText(pressure(part('8462-4', 77.891), part('8480-6', 134.634))),
      '134.63/77.89 mm[Hg]',
    );
    assert.equal(observationValueText(pressure(part('8480-6', 120), part('8462-4', 80))), '120/80 mm[Hg]');
  });

  it('picks components by LOINC code, not by position or by a code of another system', () => {
    const observation = pressure(
      part('8462-4', 70, 'http://example.org/local'),
      part('8462-4', 81),
      part('8480-6', 125),
    );
    assert.equal(observationValueText(observation), '125/81 mm[Hg]');
  });

  it('shows a missing half as missing', () => {
    assert.equal(bloodPressureText(pressure(part('8480-6', 118))), '118/– mm[Hg]');
    assert.equal(bloodPressureText(pressure(part('8462-4', 76))), '–/76 mm[Hg]');
  });

  it('keeps a plain value and names the components of other panels', () => {
    const weight: Observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'Body weight' },
      valueQuantity: { value: 70.456, unit: 'kg' },
    };
    assert.equal(observationValueText(weight), '70.46 kg');
    const other = pressure(
      { code: { text: 'Heart rate' }, valueQuantity: { value: 72, unit: '/min' } },
      { code: { text: 'Rhythm' }, valueString: 'regular' },
    );
    assert.equal(observationValueText(other), 'Heart rate: 72 /min; Rhythm: regular');
  });

  it('every Synthea blood pressure of the corpus reads systolic above diastolic', (t) => {
    const dir = corpusPath('synthea', 'smart-r4-2019');
    const missing = corpusMissing(dir);
    if (missing) {
      t.skip(missing);
      return;
    }
    let checked = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const bundle = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Bundle;
      for (const entry of bundle.entry ?? []) {
        const o = entry.resource;
        if (o?.resourceType !== 'Observation' || !o.component?.some((c) => c.code.coding?.[0]?.code === '8480-6'))
          continue;
        const shown = observationValueText(o);
        const [systolic, diastolic] = shown.split(' ')[0]!.split('/').map(Number);
        assert.ok(systolic! > diastolic!, `${file} ${o.id}: ${shown}`);
        checked++;
      }
    }
    assert.ok(checked > 100, `only ${checked} blood pressures in the corpus`);
  });
});
