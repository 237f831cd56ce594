import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { parseJson } from '../../../json/parse-json.js';
import { extractIndex } from '../extract-index.js';

function entry(json: string, param: string) {
  const index = extractIndex(parseJson(json) as Resource);
  const found = index.entries.find((e) => e.param === param);
  assert.ok(found, param);
  return found as { value: number; low: number; high: number };
}

describe('number and quantity index entries take the precision of the text as written', () => {
  it('valueQuantity 6.0 is [5.95, 6.05), 6 is [5.5, 6.5)', () => {
    const written = entry(
      '{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":6.0}}',
      'value-quantity',
    );
    assert.deepEqual([written.value, written.low, written.high], [6, 5.95, 6.05]);
    const plain = entry(
      '{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":6}}',
      'value-quantity',
    );
    assert.deepEqual([plain.low, plain.high], [5.5, 6.5]);
  });
  it('a decimal search parameter (RiskAssessment.probability 0.40) is [0.395, 0.405)', () => {
    const e = entry(
      '{"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/1"},"prediction":[{"probabilityDecimal":0.40}]}',
      'probability',
    );
    assert.ok(Math.abs(e.low - 0.395) < 1e-12 && Math.abs(e.high - 0.405) < 1e-12, JSON.stringify(e));
  });
  it('a Range end 1.50 is [1.495, …)', () => {
    const e = entry(
      '{"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/1"},"prediction":[{"probabilityRange":{"low":{"value":1.50},"high":{"value":2.0}}}]}',
      'probability',
    );
    assert.ok(Math.abs(e.low - 1.495) < 1e-12 && Math.abs(e.high - 2.05) < 1e-12, JSON.stringify(e));
  });
});
