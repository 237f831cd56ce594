import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entriesOf } from './testing/test-helpers.js';
import { MAX_NUMBER } from '../../search/kinds/number/extract-number.js';
import { ucumCanonical } from '../ucum.js';

const close = (actual: number | undefined, expected: number) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${actual} ≈ ${expected}`);

describe('number extractor', () => {
  const risk = (prediction: unknown) => ({
    resourceType: 'RiskAssessment',
    status: 'final',
    subject: { reference: 'Patient/1' },
    prediction: [prediction],
  });

  it('indexes a decimal with its implicit precision range', () => {
    const [entry] = entriesOf(risk({ probabilityDecimal: 0.25 }), 'probability');
    assert.equal(entry?.kind, 'number');
    if (entry?.kind !== 'number') return;
    assert.equal(entry.value, 0.25);
    close(entry.low, 0.245);
    close(entry.high, 0.255);
  });

  it('indexes a Range as low..high, an open end reaching MAX_NUMBER', () => {
    const [closed] = entriesOf(risk({ probabilityRange: { low: { value: 10 }, high: { value: 20 } } }), 'probability');
    assert.deepEqual(closed, { kind: 'number', param: 'probability', value: 10, low: 9.5, high: 20.5 });
    const [open] = entriesOf(risk({ probabilityRange: { low: { value: 10 } } }), 'probability');
    assert.deepEqual(open, { kind: 'number', param: 'probability', value: 10, low: 9.5, high: MAX_NUMBER });
    assert.deepEqual(entriesOf(risk({ probabilityRange: {} }), 'probability'), []);
  });

  it('skips non-numbers', () => {
    assert.deepEqual(entriesOf(risk({ probabilityDecimal: 'high' }), 'probability'), []);
  });
});

describe('quantity extractor', () => {
  const obs = (valueQuantity: unknown) => ({
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'x' },
    valueQuantity,
  });

  it('indexes value, precision range, system, code and unit, with the UCUM canonical form', () => {
    const [entry] = entriesOf(
      obs({ value: 250, unit: 'milligram', system: 'http://unitsofmeasure.org', code: 'mg' }),
      'value-quantity',
    );
    assert.deepEqual(entry, {
      kind: 'quantity',
      param: 'value-quantity',
      value: 250,
      low: 249.5,
      high: 250.5,
      system: 'http://unitsofmeasure.org',
      code: 'mg',
      unit: 'milligram',
      canonicalValue: 0.25,
      canonicalCode: 'g',
    });
  });

  it('converts ratios such as mg/dL to g/L and leaves unknown units without a canonical form', () => {
    const [ratio] = entriesOf(
      obs({ value: 13.5, system: 'http://unitsofmeasure.org', code: 'g/dL' }),
      'value-quantity',
    );
    assert.ok(ratio?.kind === 'quantity');
    if (ratio?.kind !== 'quantity') return;
    assert.equal(ratio.canonicalCode, 'g/L');
    close(ratio.canonicalValue, 135);
    const [temp] = entriesOf(obs({ value: 37.2, system: 'http://unitsofmeasure.org', code: 'Cel' }), 'value-quantity');
    assert.ok(temp?.kind === 'quantity' && temp.canonicalValue === undefined && temp.canonicalCode === undefined);
    const [noSystem] = entriesOf(obs({ value: 5, unit: 'mg' }), 'value-quantity');
    assert.deepEqual(noSystem, {
      kind: 'quantity',
      param: 'value-quantity',
      value: 5,
      low: 4.5,
      high: 5.5,
      system: null,
      code: null,
      unit: 'mg',
    });
  });

  it('covers mass, length and time conversions', () => {
    assert.deepEqual(ucumCanonical(2, 'kg'), { value: 2000, code: 'g' });
    assert.deepEqual(ucumCanonical(180, 'cm'), { value: 1.8, code: 'm' });
    assert.deepEqual(ucumCanonical(5, 'mm'), { value: 0.005, code: 'm' });
    assert.deepEqual(ucumCanonical(90, 'min'), { value: 5400, code: 's' });
    assert.deepEqual(ucumCanonical(2, 'h'), { value: 7200, code: 's' });
    assert.deepEqual(ucumCanonical(1, 'd'), { value: 86400, code: 's' });
    assert.equal(ucumCanonical(1, 'kg/m2'), undefined);
    assert.equal(ucumCanonical(1, '[degF]'), undefined);
    assert.equal(ucumCanonical(1, 'constructor'), undefined);
  });

  it('indexes Money with the ISO 4217 system (SDG)', () => {
    const item = {
      resourceType: 'ChargeItem',
      status: 'billable',
      code: { text: 'x' },
      subject: { reference: 'Patient/1' },
      priceOverride: { value: 1500.5, currency: 'SDG' },
    };
    assert.deepEqual(entriesOf(item, 'price-override'), [
      {
        kind: 'quantity',
        param: 'price-override',
        value: 1500.5,
        low: 1500.45,
        high: 1500.55,
        system: 'urn:iso:std:iso:4217',
        code: 'SDG',
        unit: 'SDG',
      },
    ]);
  });

  it('skips a quantity without a numeric value', () => {
    assert.deepEqual(entriesOf(obs({ unit: 'mg' }), 'value-quantity'), []);
    assert.deepEqual(entriesOf(obs({ value: '12' }), 'value-quantity'), []);
  });
});
