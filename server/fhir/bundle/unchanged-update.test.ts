import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { parseJson } from '../../json/parse-json.js';
import { sameStoredContent } from './unchanged-update.js';

const stored = parseJson(
  '{"meta":{"lastUpdated":"2026-01-01T00:00:00Z","versionId":"3","source":"urn:a"},"id":"o1","resourceType":"Observation",' +
    '"status":"final","valueQuantity":{"unit":"mg/dL","value":1.50},"code":{"text":"Glucose"}}',
) as Resource;

describe('sameStoredContent', () => {
  it('ignores id, versionId, lastUpdated, source and key order', () => {
    const update = parseJson(
      '{"resourceType":"Observation","code":{"text":"Glucose"},"status":"final","valueQuantity":{"value":1.50,"unit":"mg/dL"},"meta":{"source":"urn:b"}}',
    ) as Resource;
    assert.ok(sameStoredContent(update, stored));
  });

  it('tells a number written with another text (1.5 is not 1.50), a changed, added or removed member, other meta', () => {
    const variants = [
      '"valueQuantity":{"value":1.5,"unit":"mg/dL"}',
      '"valueQuantity":{"value":1.6,"unit":"mg/dL"}',
      '"valueQuantity":{"value":1.50,"unit":"mg/dL"},"note":[{"text":"x"}]',
      '"valueQuantity":{"value":1.50}',
      '"valueQuantity":{"value":1.50,"unit":"mg/dL"},"meta":{"tag":[{"code":"t"}]}',
    ];
    for (const v of variants) {
      const update = parseJson(`{"resourceType":"Observation","status":"final","code":{"text":"Glucose"},${v}}`);
      assert.ok(!sameStoredContent(update as Resource, stored), v);
    }
    assert.ok(!sameStoredContent({ ...stored, resourceType: 'Condition' } as Resource, stored));
  });
});
