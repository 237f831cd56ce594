import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseJson } from '../../../../server/json/parse-json.js';
import { stringifyJson } from '../../../../server/json/stringify-json.js';
import { replaceReferences } from './lookups.js';

describe('replaceReferences', () => {
  it('replaces every listed reference in one pass, copies only what it changes, keeps number texts', () => {
    const input = parseJson(
      '{"subject":{"reference":"urn:uuid:p"},"basedOn":[{"reference":"urn:uuid:o"},{"reference":"urn:uuid:x"}],' +
        '"code":{"text":"urn:uuid:p"},"valueQuantity":{"value":1.50},"note":[{"text":"n"}]}',
    ) as Record<string, unknown>;
    const before = stringifyJson(input);
    const out = replaceReferences(
      input,
      new Map([
        ['urn:uuid:p', 'Patient/1'],
        ['urn:uuid:o', 'ServiceRequest/2'],
      ]),
    );
    assert.equal(
      stringifyJson(out),
      '{"subject":{"reference":"Patient/1"},"basedOn":[{"reference":"ServiceRequest/2"},{"reference":"urn:uuid:x"}],' +
        '"code":{"text":"Patient/1"},"valueQuantity":{"value":1.50},"note":[{"text":"n"}]}',
    );
    assert.equal(stringifyJson(input), before, 'the input is left as it was');
    assert.equal(out['note'], input['note'], 'what holds no reference is shared');
    assert.equal(replaceReferences(input, new Map([['urn:uuid:none', 'X/1']])), input);
  });
});
