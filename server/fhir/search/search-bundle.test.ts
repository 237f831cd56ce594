import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Patient } from '@medplum/fhirtypes';
import { searchBundle, searchUrl } from './search-bundle.js';
import { shapeResource } from './shape-resource.js';
import { escapeValue, splitOr, splitEscaped, unescapeValue } from './split-values.js';

describe('search links and entries', () => {
  it('builds absolute self/next/previous links that carry the cursor and keep the other parameters', () => {
    const location = {
      baseUrl: 'http://h/fhir/',
      resourceTypes: ['Patient'],
      params: [
        ['name', 'a b'],
        ['_cursor', 'old'],
        ['_count', '2'],
      ] as Array<[string, string]>,
    };
    assert.equal(searchUrl(location), 'http://h/fhir/Patient?name=a+b&_count=2');
    const b = searchBundle({
      location,
      matches: [{ resourceType: 'Patient', id: '1' }],
      included: [{ resourceType: 'Organization', id: 'o' }],
      warnings: ['w'],
      cursor: 'c1',
      nextCursor: 'c2',
      previousCursor: 'c0',
    });
    assert.deepEqual(b.link, [
      { relation: 'self', url: 'http://h/fhir/Patient?name=a+b&_count=2&_cursor=c1' },
      { relation: 'next', url: 'http://h/fhir/Patient?name=a+b&_count=2&_cursor=c2' },
      { relation: 'previous', url: 'http://h/fhir/Patient?name=a+b&_count=2&_cursor=c0' },
    ]);
    assert.deepEqual(
      b.entry!.map((e) => [e.fullUrl?.replace(/urn:uuid:.*/, 'urn'), e.search?.mode]),
      [
        ['http://h/fhir/Patient/1', 'match'],
        ['http://h/fhir/Organization/o', 'include'],
        ['urn', 'outcome'],
      ],
    );
    assert.equal(b.type, 'searchset');
    assert.equal(
      searchUrl({
        baseUrl: 'http://h/fhir',
        resourceTypes: ['Observation'],
        compartment: { resourceType: 'Patient', id: '9' },
        params: [],
      }),
      'http://h/fhir/Patient/9/Observation',
    );
    assert.equal(
      searchUrl({ baseUrl: 'http://h/fhir', resourceTypes: [], params: [['_type', 'Patient']] }),
      'http://h/fhir?_type=Patient',
    );
  });

  it('splits values on unescaped separators only', () => {
    assert.deepEqual(splitOr('a,b\\,c,'), ['a', 'b\\,c', '']);
    assert.deepEqual(splitEscaped('s\\|x|c', '|').map(unescapeValue), ['s|x', 'c']);
    assert.equal(unescapeValue('a\\$b\\\\c'), 'a$b\\c'); // a literal value with every separator survives escaping, splitting and unescaping as one value
    const literal = 'Ali, Omer|x$y\\z';
    assert.deepEqual(splitOr(escapeValue(literal)).map(unescapeValue), [literal]);
  });

  it('trims resources for _summary and _elements, keeping mandatory elements', () => {
    const p: Patient = {
      resourceType: 'Patient',
      id: '1',
      meta: { versionId: '1' },
      text: { status: 'generated', div: '<div/>' },
      gender: 'male',
      photo: [{ url: 'x' }],
      link: [{ other: { reference: 'Patient/2' }, type: 'seealso' }],
    };
    const summary = shapeResource(p, 'true', undefined) as unknown as Record<string, unknown>;
    assert.equal(summary.photo, undefined);
    assert.equal(summary.gender, 'male');
    assert.deepEqual((summary.meta as { tag: unknown[] }).tag, [
      { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED', display: 'subsetted' },
    ]);
    assert.equal((shapeResource(p, 'data', undefined) as Patient).text, undefined);
    assert.deepEqual(Object.keys(shapeResource(p, undefined, ['gender'])).sort(), [
      'gender',
      'id',
      'meta',
      'resourceType',
    ]);
    assert.equal(shapeResource(p, undefined, undefined), p, 'untouched without _summary/_elements');
    assert.equal(p.meta!.tag, undefined, 'the original is not modified');
  });
});

describe('summary-elements.json', () => {
  it('is current with the R4 StructureDefinitions (regenerate with summary-elements.generate.ts)', async () => {
    const { computeSummaryElements } = await import('./summary-elements.generate.js');
    const { readFileSync } = await import('node:fs');
    const stored = JSON.parse(readFileSync(new URL('./summary-elements.json', import.meta.url), 'utf8'));
    const fresh = computeSummaryElements();
    assert.deepEqual(stored, fresh);
    assert.ok(fresh.Observation!.summary.includes('code') && !fresh.Observation!.summary.includes('category'));
  });
});
