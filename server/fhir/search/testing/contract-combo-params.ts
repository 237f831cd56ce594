/**
 * Observation combo-* parameters on every store. They are unions of other parameters (indexing/union-params.ts):
 * their entries are no longer stored and a search on one is the same search over its members. Every result is
 * compared with the oracle, which evaluates the raw R4 combo-* expressions — the answers from before the change —
 * on Observations with and without components, one whose code is also a component's (found once), with :missing,
 * :not, :text, composites, _sort and _has.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Observation } from '@medplum/fhirtypes';
import type { SearchHarness } from './search-harness.js';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const SCT = 'http://snomed.info/sct';
const ABSENT = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';

export function comboParamTests(h: () => SearchHarness): void {
  const run = Math.random().toString(36).slice(2, 8);
  const mmHg = (value: number) => ({ value, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' });
  const concept = (system: string, code: string, text?: string) => ({
    coding: [{ system, code }],
    ...(text ? { text } : {}),
  });
  let added = false;
  async function data(): Promise<void> {
    if (added) return;
    const subject = { reference: `Patient/${h().sample('Patient')[0]!.id}` };
    const base = {
      resourceType: 'Observation',
      status: 'final',
      subject,
      meta: { versionId: '1', lastUpdated: '2025-03-01T00:00:00.000Z' },
    } as const;
    const observations: Observation[] = [
      // no components: its code and value are the combo-* values
      { ...base, id: `combo-${run}-a`, code: concept(LOINC, '8480-6', 'Systolic'), valueQuantity: mmHg(131) },
      {
        ...base,
        id: `combo-${run}-b`,
        code: concept(LOINC, '85354-9', 'Blood pressure panel'),
        component: [
          { code: concept(LOINC, '8480-6', 'Systolic'), valueQuantity: mmHg(126) },
          { code: concept(LOINC, '8462-4'), dataAbsentReason: concept(ABSENT, 'unknown') },
          { code: concept('http://example.org/combo', 'colour'), valueCodeableConcept: concept(SCT, '371244009') },
        ],
      },
      // the same code on the observation and on a component: one result, not two
      {
        ...base,
        id: `combo-${run}-c`,
        code: concept(LOINC, '8480-6'),
        valueQuantity: mmHg(142),
        component: [{ code: concept(LOINC, '8480-6'), valueQuantity: mmHg(141) }],
      },
      {
        ...base,
        id: `combo-${run}-d`,
        code: concept(LOINC, '5778-6'),
        dataAbsentReason: concept(ABSENT, 'asked-declined'),
      },
      {
        ...base,
        id: `combo-${run}-e`,
        code: concept(LOINC, '5778-6'),
        valueCodeableConcept: concept(SCT, '260385009'),
      },
    ];
    await h().add(observations);
    added = true;
  }
  const obs = (params: Array<[string, string]>, min = 1) => h().expectOracle(['Observation'], params, min);

  it('combo-code, combo-value-*, combo-data-absent-reason: as the R4 unions, each match once', async () => {
    await data();
    const mine = (await obs([['combo-code', `${LOINC}|8480-6`]], 3)).filter((k) => k.includes(`combo-${run}`));
    assert.deepEqual(mine.sort(), [
      `Observation/combo-${run}-a`,
      `Observation/combo-${run}-b`,
      `Observation/combo-${run}-c`,
    ]);
    await obs([['combo-code', `${LOINC}|85354-9`]]);
    await obs([['combo-code', `${LOINC}|8462-4,http://example.org/combo|colour`]]);
    await obs([['combo-code', '8480-6']]);
    await obs([['combo-code:text', 'systolic']]);
    await obs([['combo-code:not', `${LOINC}|8480-6`]]);
    await obs([['combo-value-quantity', `gt125|${UCUM}|mm[Hg]`]], 3);
    await obs([['combo-value-quantity', 'ge141']], 1);
    await obs([['combo-value-quantity', 'lt127']], 1);
    await obs([['combo-value-concept', `${SCT}|371244009`]]);
    await obs([['combo-value-concept', `${SCT}|371244009,${SCT}|260385009`]], 2);
    await obs([['combo-data-absent-reason', 'unknown']]);
    await obs([['combo-data-absent-reason', `${ABSENT}|asked-declined,${ABSENT}|unknown`]], 2);
    await obs([['combo-data-absent-reason:not', 'unknown']]);
    await obs([
      ['combo-code', `${LOINC}|8480-6`],
      ['combo-value-quantity', 'gt130'],
    ]);
  });

  it('combo-code-value-quantity and combo-code-value-concept: one tuple of the observation or of a component', async () => {
    await data();
    await obs([['combo-code-value-quantity', `${LOINC}|8480-6$gt125`]], 3);
    await obs([['combo-code-value-quantity', `${LOINC}|8480-6$gt141`]], 1);
    await obs([['combo-code-value-quantity', `${LOINC}|8480-6$lt127`]], 1);
    await obs([['combo-code-value-quantity', `${LOINC}|8462-4$gt0`]], 0);
    await obs([['combo-code-value-concept', `http://example.org/combo|colour$${SCT}|371244009`]]);
    await obs([['combo-code-value-concept', `${LOINC}|5778-6$${SCT}|260385009`]]);
    await obs([['combo-code-value-concept', `${LOINC}|5778-6$${SCT}|371244009`]], 0);
  });

  it(':missing on every combo parameter', async () => {
    await data();
    for (const code of [
      'combo-code',
      'combo-value-quantity',
      'combo-value-concept',
      'combo-data-absent-reason',
      'combo-code-value-quantity',
      'combo-code-value-concept',
    ])
      for (const v of ['true', 'false']) await obs([[`${code}:missing`, v]], 0);
    await obs([['combo-value-concept:missing', 'false']], 2);
    await obs([['combo-data-absent-reason:missing', 'false']], 2);
  });

  it('_sort on combo-code and combo-value-quantity; _has through combo-code', async () => {
    await data();
    for (const sort of ['combo-code', '-combo-code', 'combo-value-quantity', '-combo-value-quantity']) {
      const params: Array<[string, string]> = [
        ['combo-code', `${LOINC}|8480-6,${LOINC}|85354-9,${LOINC}|5778-6`],
        ['_sort', `${sort},_id`],
      ];
      const keys = await obs(params, 3);
      const descending = sort.startsWith('-');
      const values = keys.map((k) => h().oracle.sortValue(h().oracle.get(k)!, sort.replace(/^-/, ''), descending));
      for (let i = 1; i < values.length; i++) {
        const [a, b] = [values[i - 1]!, values[i]!];
        if (a === null) assert.equal(b, null, `${sort}: a missing value sorts last`);
        else if (b !== null) assert.ok(descending ? a >= b : a <= b, `${sort}: ${keys[i - 1]} before ${keys[i]}`);
      }
    }
    await h().expectOracle(['Patient'], [['_has:Observation:subject:combo-code', `${LOINC}|8462-4`]], 1);
  });
}
