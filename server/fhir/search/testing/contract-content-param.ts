/**
 * `_content` (full-text search of the whole resource) on every store: each answer equals an independent evaluation
 * over the raw resources: the words of every string value except ids, references, URIs, base64 data and dates (the
 * narrative's tags stripped by regular expressions here), folded as string search folds; every query word must be
 * one of them; comma values OR. Arabic text, no-break spaces, quotes, words outside the narrative, words only in a
 * system URI or an id (not content), a resource whose words fill several index chunks; mistakes answer 400.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { FhirError } from '../../errors.js';
import { fold } from './oracle/oracle-match.js';
import type { SearchHarness } from './search-harness.js';

const words = (text: string) => fold(text).match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
/** Values that are not content: written out here again, not taken from the extractor. */
const SKIPPED = new Set(['resourceType', 'id', 'reference', 'system', 'url', 'fullUrl', 'profile', 'versionId']);
const SKIPPED_TOO = new Set(['lastUpdated', 'source', 'data', 'hash']);
const isDate = (s: string) => /^\d{4}-\d\d(-\d\d(T.*)?)?$/.test(s) || /^\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(s);

function contentWords(resource: unknown): Set<string> {
  const out = new Set<string>();
  const add = (text: string) => words(text).forEach((w) => out.add(w));
  const element = (key: string, value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) element(key, v);
      return;
    }
    if (typeof value === 'string') {
      if (key === 'div')
        add(
          value
            .replace(/<[^>]*>/g, ' ')
            .replace(/&amp;/g, '&')
            .replace(/&nbsp;|&#160;/g, ' '),
        );
      else if (!SKIPPED.has(key) && !SKIPPED_TOO.has(key) && !isDate(value)) add(value);
    } else if (value && typeof value === 'object' && key !== 'profile')
      for (const [k, v] of Object.entries(value)) element(k, v);
  };
  element('', resource);
  return out;
}

export function contentParamTests(h: () => SearchHarness): void {
  const run = Math.random().toString(36).slice(2, 8);
  const expected = (type: string, query: string) =>
    h()
      .oracle.all([type])
      .filter((r) => {
        const have = contentWords(r);
        return query.split(',').some((alt) => words(alt).every((w) => have.has(w)));
      })
      .map((r) => `${type}/${r.id}`)
      .sort();
  const check = async (type: string, query: string, min: number) => {
    const { keys } = await h().collect(
      [type],
      [
        ['_content', query],
        ['_count', '1000'],
      ],
    );
    const want = expected(type, query);
    assert.deepEqual([...keys].sort(), want, `${type}?_content=${query}`);
    assert.ok(want.length >= min, `${type}?_content=${query}: ${want.length} < ${min}`);
    assert.ok(want.length < h().oracle.all([type]).length, `${query}: a probe that filters`);
    return want;
  };

  it('_content: words anywhere in the resource (not ids, references, URIs, dates), all of them, OR of values', async () => {
    const meta = { versionId: '1', lastUpdated: '2025-03-01T00:00:00.000Z' };
    // many distinct words: the index keeps them in several chunks, and a search may need words from two of them
    const many = Array.from({ length: 400 }, (_, i) => `w${run}x${i}`).join(' ');
    await h().add([
      {
        resourceType: 'Patient',
        id: `content-${run}-a`,
        meta,
        name: [{ family: 'حسن', given: ['محمد', 'O\u2019Brien'] }],
        address: [{ city: 'Omdurman', line: ['Block\u00a07, "Al Mulazmin"'] }],
        text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Narrative Zephyr</p></div>' },
        identifier: [{ system: `http://example.org/mrn-${run}`, value: `MRN-${run}` }],
        birthDate: '1980-05-04',
      },
      {
        resourceType: 'Patient',
        id: `content-${run}-b`,
        meta,
        name: [{ family: 'Quartz', given: ['Café'] }],
        extension: [{ url: 'http://example.org/note', valueString: `Allergic to penicillin; ${many}` }],
        generalPractitioner: [{ reference: `Practitioner/gp${run}` }],
      },
    ] as Resource[]);
    await check('Patient', 'محمد', 1);
    await check('Patient', 'حسن محمد', 1);
    await check('Patient', 'omdurman zephyr', 1); // address and narrative
    await check('Patient', '"al mulazmin"', 1); // quotes are not words; no-break space in the data
    await check('Patient', 'block\u00a07', 1); // no-break space in the query
    await check('Patient', 'brien', 1); // a right single quote splits words
    await check('Patient', 'CAFE penicillin', 1);
    await check('Patient', `w${run}x0 w${run}x399`, 1); // first and last chunk
    await check('Patient', `mrn ${run}`, 1); // identifier value
    assert.deepEqual(await check('Patient', `gp${run}`, 0), []); // only in a reference
    assert.deepEqual(await check('Patient', `mrn-${run} example`, 0), []); // example only in a system URI
    assert.deepEqual(await check('Patient', 'omdurm', 0), []); // a word prefix is not a word
    await check('Patient', `zephyr,quartz`, 2);
    await check('Observation', 'body weight', 1);
  });

  it('_content mistakes answer 400 with an OperationOutcome', async () => {
    for (const [params, pattern] of [
      [[['_content', '']], /at least one word/],
      [[['_content', ' "" ;; ']], /at least one word/],
      [[['_content', 'a,']], /at least one word/],
      [[['_content:exact', 'x']], /modifier/],
      [[['_content:missing', 'true']], /modifier/],
    ] as Array<[Array<[string, string]>, RegExp]>) {
      await assert.rejects(h().search(['Patient'], params), (err: unknown) => {
        assert.ok(err instanceof FhirError, String(err));
        assert.equal(err.status, 400);
        assert.match(err.message, pattern);
        return true;
      });
    }
  });
}
