/**
 * `_text` (full-text search of the narrative) on every store: each answer equals an independent evaluation over the
 * raw resources (the narrative's tags stripped by regular expressions here, folded as string search folds, split
 * into words): every query word must be one of the narrative's words; comma values OR. Arabic narrative included.
 * (`_content`: contract-content-param.ts.)
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Narrative, Resource } from '@medplum/fhirtypes';

type DomainResource = Resource & { text?: Narrative };
import { FhirError } from '../../errors.js';
import { fold } from './oracle/oracle-match.js';
import type { SearchHarness } from './search-harness.js';

const words = (text: string) => fold(text).match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
const narrativeWords = (r: DomainResource) =>
  new Set(
    words(
      (r.text?.div ?? '')
        .replace(/<[^>]*>/g, ' ')
        .replace(/&amp;/g, '&')
        .replace(/&nbsp;|&#160;/g, ' '),
    ),
  );

export function textParamTests(h: () => SearchHarness): void {
  const run = Math.random().toString(36).slice(2, 8);
  const expected = (type: string, query: string) =>
    (h().oracle.all([type]) as DomainResource[])
      .filter((r) => {
        const have = narrativeWords(r);
        return query.split(',').some((alt) => words(alt).every((w) => have.has(w)));
      })
      .map((r) => `${type}/${r.id}`)
      .sort();
  const check = async (type: string, query: string, min: number) => {
    const { keys } = await h().collect(
      [type],
      [
        ['_text', query],
        ['_count', '1000'],
      ],
    );
    const want = expected(type, query);
    assert.deepEqual([...keys].sort(), want, `${type}?_text=${query}`);
    assert.ok(want.length >= min, `${type}?_text=${query}: ${want.length} < ${min}`);
    assert.ok(want.length < h().oracle.all([type]).length, `${query}: a probe that filters`);
  };

  it('_text: words of the narrative (all of them, any order, case and accents folded), OR of values', async () => {
    await h().add([
      {
        resourceType: 'Patient',
        id: `text-${run}-a`,
        meta: { versionId: '1', lastUpdated: '2025-03-01T00:00:00.000Z' },
        text: {
          status: 'generated',
          div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>مريض <b>محمد</b> أحمد: ضغط الدم مرتفع; blood-pressure 150/95</p></div>',
        },
      },
      {
        resourceType: 'Patient',
        id: `text-${run}-b`,
        meta: { versionId: '1', lastUpdated: '2025-03-01T00:00:00.000Z' },
        text: {
          status: 'generated',
          div: '<div xmlns="http://www.w3.org/1999/xhtml">Café visit; follow-up in Omdurman</div>',
        },
      },
    ] as DomainResource[]);
    await check('Patient', 'محمد', 1);
    await check('Patient', 'ضغط محمد', 1);
    await check('Patient', 'CAFE omdurman', 1);
    await check('Patient', 'blood pressure', 1);
    await check('Patient', 'omdurm', 0); // a word prefix is not a word
    await check('Patient', 'omdurman,محمد', 2);
    await check('CarePlan', 'physical therapy', 1);
  });

  it('_text mistakes answer 400 with an OperationOutcome', async () => {
    for (const [params, pattern] of [
      [[['_text', ' ;; ']], /at least one word/],
      [[['_text:exact', 'x']], /modifier/],
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
