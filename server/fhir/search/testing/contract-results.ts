/** Search suite, part 3: _sort, keyset paging (also while data changes), _total, _summary, _elements, includes. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { cursorOf, includeKeys, matchKeys, paramsOf, TEST_BASE, type SearchHarness } from './search-harness.js';
import { searchPages, storeSearch } from '../store-search.js';
import { FULL_ACCESS } from '../../access-policy.js';
import { referenceParamCodes } from './oracle/oracle-params.js';

type Key = string | number | null;
function compareKey(a: Key, b: Key): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

export function resultTests(h: () => SearchHarness): void {
  const resource = (key: string) => h().oracle.get(key)!;

  async function expectSorted(type: string, filters: Array<[string, string]>, sort: string, min = 2) {
    const keys = await h().expectOracle([type], [...filters, ['_sort', sort]], min);
    const specs = sort.split(',').map((s) => ({ code: s.replace(/^-/, ''), desc: s.startsWith('-') }));
    const tuple = (k: string) => specs.map((s) => h().oracle.sortValue(resource(k), s.code, s.desc));
    for (let i = 1; i < keys.length; i++) {
      const [a, b] = [tuple(keys[i - 1]!), tuple(keys[i]!)];
      const j = a.findIndex((_, n) => compareKey(a[n]!, b[n]!) !== 0);
      if (j < 0) continue;
      const order = compareKey(a[j]!, b[j]!) * (specs[j]!.desc && a[j] !== null && b[j] !== null ? -1 : 1);
      assert.ok(
        order < 0,
        `_sort=${sort}: ${keys[i - 1]} (${JSON.stringify(a)}) before ${keys[i]} (${JSON.stringify(b)})`,
      );
    }
  }

  it('_sort on one and several keys, ascending and descending, missing values last', async () => {
    await expectSorted('Patient', [], 'birthdate');
    await expectSorted('Patient', [], '-birthdate,_id');
    await expectSorted('Patient', [], 'family,-_lastUpdated');
    await expectSorted('Observation', [['code', 'http://loinc.org|29463-7']], '-value-quantity');
    await expectSorted('Observation', [['category', 'laboratory']], 'date,-_id');
    await expectSorted('Encounter', [], '-date');
    await expectSorted('RiskAssessment', [], 'probability');
    await expectSorted('Immunization', [], 'vaccine-code,-date');
  });

  it('pages with _count through next links; previous and self links return the same pages', async () => {
    const params: Array<[string, string]> = [
      ['category', 'laboratory'],
      ['_sort', '-date'],
      ['_count', '7'],
    ];
    const { keys, pages } = await h().collect(['Observation'], params);
    assert.deepEqual([...keys].sort(), h().oracle.search(['Observation'], params));
    assert.ok(pages.length >= 3, 'several pages');
    assert.equal(new Set(keys).size, keys.length);
    for (const page of pages) assert.ok(matchKeys(page).length <= 7);
    const second = pages[1]!;
    const back = await h().search(['Observation'], paramsOf(second.link!.find((l) => l.relation === 'previous')!.url));
    assert.deepEqual(matchKeys(back), matchKeys(pages[0]!));
    const self = await h().search(['Observation'], paramsOf(second.link!.find((l) => l.relation === 'self')!.url));
    assert.deepEqual(matchKeys(self), matchKeys(second));
    assert.equal(
      pages[0]!.link!.find((l) => l.relation === 'previous'),
      undefined,
      'first page has no previous link',
    );
    assert.equal(
      pages.at(-1)!.link!.find((l) => l.relation === 'next'),
      undefined,
      'last page has no next link',
    );
    for (const l of second.link!) assert.match(l.url, /^http:\/\/nilecare\.test\/fhir\/Observation\?/);
  });

  it('keeps next links correct while resources are inserted between pages', async () => {
    const code = 'http://nilecare.sd/test|paging';
    const make = (id: string, i: number): Resource => ({
      resourceType: 'Observation',
      id,
      status: 'final',
      code: { coding: [{ system: 'http://nilecare.sd/test', code: 'paging' }] },
      meta: { versionId: '1', lastUpdated: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString() },
    });
    await h().add(Array.from({ length: 12 }, (_, i) => make(`page-m${String(i).padStart(2, '0')}`, i)));
    const params: Array<[string, string]> = [
      ['code', code],
      ['_sort', '_id'],
      ['_count', '5'],
    ];
    const first = await h().search(['Observation'], params);
    const firstKeys = matchKeys(first);
    assert.equal(firstKeys.length, 5);
    await h().add([make('page-a00', 20), make('page-m03b', 21), make('page-z99', 22)]); // before, inside the first page, after
    let next = first.link!.find((l) => l.relation === 'next')?.url;
    const rest: string[] = [];
    while (next) {
      const page: Bundle = await h().search(['Observation'], paramsOf(next));
      rest.push(...matchKeys(page));
      next = page.link!.find((l) => l.relation === 'next')?.url;
    }
    const everything = h().oracle.search(['Observation'], [['code', code]]);
    const last = firstKeys.at(-1)!;
    assert.deepEqual(
      rest,
      everything.filter((k) => k > last).sort(),
      'the pages after the cursor hold exactly the resources sorting after it, new ones included',
    );
    assert.ok(rest.includes('Observation/page-z99'));
    assert.ok(
      !rest.includes('Observation/page-a00') && !rest.some((k) => firstKeys.includes(k)),
      'nothing is repeated or pulled in from before the cursor',
    );
    assert.ok(cursorOf(first.link!.find((l) => l.relation === 'next')!.url));
  });

  it('_total=accurate|estimate|none, _summary=count and _count=0', async () => {
    const filters: Array<[string, string]> = [['category', 'laboratory']];
    const expected = h().oracle.search(['Observation'], filters).length;
    assert.equal(
      (await h().search(['Observation'], [...filters, ['_total', 'accurate'], ['_count', '3']])).total,
      expected,
    );
    const estimate = (await h().search(['Observation'], [...filters, ['_total', 'estimate'], ['_count', '3']])).total;
    assert.equal(typeof estimate, 'number');
    assert.equal(
      (await h().search(['Observation'], [...filters, ['_total', 'none'], ['_count', '3']])).total,
      undefined,
    );
    for (const extra of [
      ['_summary', 'count'],
      ['_count', '0'],
    ] as Array<[string, string]>) {
      const b = await h().search(['Observation'], [...filters, extra]);
      assert.equal(b.total, expected);
      assert.equal(matchKeys(b).length, 0);
    }
    const small = await h().search(['Patient'], [['_id', 'x-accent,x-plain']]);
    assert.equal(small.total, 2, 'a total is given when one page holds everything');
  });

  it('_summary=true|text|data and _elements trim resources and mark them SUBSETTED', async () => {
    const isSubsetted = (r: Resource) => !!r.meta?.tag?.some((t) => t.code === 'SUBSETTED');
    const filters: Array<[string, string]> = [['_id', 'x-glucose-mg']];
    const full = (await h().search(['Observation'], filters)).entry![0]!.resource as unknown as Record<string, unknown>;
    assert.ok(full.category && !isSubsetted(full as unknown as Resource));
    const summary = (await h().search(['Observation'], [...filters, ['_summary', 'true']])).entry![0]!
      .resource as unknown as Record<string, unknown>;
    assert.ok(isSubsetted(summary as unknown as Resource));
    assert.equal(summary.category, undefined, 'category is not a summary element');
    assert.ok(summary.code && summary.status && summary.valueQuantity && summary.subject);
    const text = (await h().search(['Observation'], [...filters, ['_summary', 'text']])).entry![0]!
      .resource as unknown as Record<string, unknown>;
    assert.deepEqual(Object.keys(text).sort(), ['code', 'id', 'meta', 'resourceType', 'status']);
    const elements = (await h().search(['Observation'], [...filters, ['_elements', 'subject,effective']])).entry![0]!
      .resource as unknown as Record<string, unknown>;
    assert.deepEqual(Object.keys(elements).sort(), [
      'code',
      'effectiveDateTime',
      'id',
      'meta',
      'resourceType',
      'status',
      'subject',
    ]);
    assert.ok(isSubsetted(elements as unknown as Resource));
  });

  it('_include, _include with target type, _include=T:*, _revinclude and :iterate', async () => {
    const check = async (
      type: string,
      params: Array<[string, string]>,
      expectedIncluded: (matches: string[]) => string[],
    ) => {
      const b = await h().search([type], [...params, ['_count', '1000']]);
      const matches = matchKeys(b);
      assert.deepEqual([...matches].sort(), h().oracle.search([type], params));
      const want = [...new Set(expectedIncluded(matches))]
        .filter((k) => !matches.includes(k) && h().oracle.get(k))
        .sort();
      assert.deepEqual(includeKeys(b), want, `${type}?${params.map((p) => p.join('=')).join('&')}`);
      assert.ok(want.length > 0, 'the probe includes something');
    };
    const refs = (keys: string[], code: string) => keys.flatMap((k) => h().oracle.refs(resource(k), code));
    const weight: [string, string] = ['code', 'http://loinc.org|29463-7'];
    await check('Observation', [weight, ['_include', 'Observation:subject']], (m) => refs(m, 'subject'));
    await check('Observation', [weight, ['_include', 'Observation:subject:Patient']], (m) =>
      refs(m, 'subject').filter((k) => k.startsWith('Patient/')),
    );
    await check('Observation', [weight, ['_include', 'Observation:*']], (m) =>
      referenceParamCodes('Observation').flatMap((c) => refs(m, c)),
    );
    await check('Observation', [weight, ['_include', '*']], (m) =>
      referenceParamCodes('Observation').flatMap((c) => refs(m, c)),
    );
    const p = h()
      .sample('Patient')
      .find((x) => x.id!.length > 10)!;
    await check(
      'Patient',
      [
        ['_id', p.id!],
        ['_revinclude', 'Encounter:patient'],
      ],
      () => h().oracle.search(['Encounter'], [['patient', p.id!]]),
    );
    await check(
      'Patient',
      [
        ['_id', p.id!],
        ['_revinclude', 'Encounter:patient'],
        ['_revinclude:iterate', 'Observation:encounter'],
      ],
      () => {
        const encounters = h().oracle.search(['Encounter'], [['patient', p.id!]]);
        return [...encounters, ...h().oracle.search(['Observation'], [['encounter', encounters.join(',')]])];
      },
    );
    await check(
      'Observation',
      [weight, ['_include', 'Observation:encounter'], ['_include:iterate', 'Encounter:service-provider']],
      (m) => {
        const encounters = refs(m, 'encounter');
        return [...encounters, ...refs(encounters, 'service-provider')];
      },
    );
  });

  it('store-level search for internal callers: stored versions, includes and an opaque cursor (no Bundle)', async () => {
    const params: Array<[string, string]> = [
      ['category', 'laboratory'],
      ['_sort', '-date'],
    ];
    const args = {
      store: h().store,
      resourceTypes: ['Observation'],
      params: [...params, ['_include', 'Observation:subject']] as Array<[string, string]>,
      baseUrl: TEST_BASE,
      access: FULL_ACCESS,
      handling: 'strict' as const,
      count: 9,
    };
    const first = await storeSearch(args);
    assert.ok(first.matches.length === 9 && first.nextCursor, 'a full first page and a cursor');
    for (const v of [...first.matches, ...first.included]) {
      assert.equal(typeof v.versionId, 'number', 'stored versions, not Bundle entries');
      assert.equal(v.resource?.id, v.id);
    }
    const subjects = new Set(first.matches.flatMap((v) => h().oracle.refs(v.resource!, 'subject')));
    assert.deepEqual(first.included.map((v) => `${v.resourceType}/${v.id}`).sort(), [...subjects].sort());

    const keys: string[] = [];
    let pages = 0;
    for await (const versions of searchPages({ ...args, params })) {
      keys.push(...versions.map((v) => `${v.resourceType}/${v.id}`));
      pages++;
    }
    assert.ok(pages >= 3, 'several pages through the cursor');
    assert.equal(new Set(keys).size, keys.length, 'no resource twice');
    assert.deepEqual([...keys].sort(), h().oracle.search(['Observation'], params));
  });
}
