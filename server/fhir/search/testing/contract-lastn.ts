/**
 * Observation/$lastn on every store (operations/lastn.ts over ResourceStore.searchEntries), compared with an
 * independent evaluation: the oracle's matches, grouped here from the raw resources (subject reference,
 * code.coding system|code merged transitively, code.text for text-only codes, effective[x] by FHIRPath).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Observation, Resource } from '@medplum/fhirtypes';
import type { AccessPolicy } from '../../access-policy.js';
import { FULL_ACCESS } from '../../access-policy.js';
import { FhirError } from '../../errors.js';
import { ENTRY_PARAMS, lastn } from '../../operations/lastn.js';
import { LASTN_PARAMS, lastnGroups } from '../../operations/lastn-groups.js';
import { parseSearch } from '../parse-search.js';
import { evaluate } from './oracle/oracle-params.js';
import { dateSpanOf } from './oracle/oracle-match.js';
import { TEST_BASE, type SearchHarness } from './search-harness.js';

/** Expected groups (each newest first, cut at max), computed from the resources themselves. */
function expectedGroups(resources: Resource[], max: number): string[][] {
  const obs = resources as Observation[];
  const parent = new Map<string, string>();
  const find = (x: string): string => (parent.get(x) === x ? x : find(parent.get(x)!));
  const codesOf = (o: Observation) => {
    const coded = (o.code?.coding ?? []).filter((c) => c.code).map((c) => `${c.system ?? ''}|${c.code}`);
    if (coded.length > 0) return coded;
    return o.code?.text ? [`text:${o.code.text.toLowerCase()}`] : [`self:${o.id}`];
  };
  const nodes = (o: Observation) => codesOf(o).map((c) => `${o.subject?.reference ?? ''}#${c}`);
  for (const o of obs) {
    const ns = nodes(o);
    for (const n of ns) if (!parent.has(n)) parent.set(n, n);
    for (const n of ns.slice(1)) parent.set(find(n), find(ns[0]!));
  }
  const at = (o: Observation) => {
    const spans = evaluate(o, 'Observation.effective').map(dateSpanOf).filter(Boolean) as Array<[number, number]>;
    return spans.length === 0 ? null : Math.max(...spans.map((s) => s[1]));
  };
  const groups = new Map<string, Observation[]>();
  for (const o of obs) {
    const root = find(nodes(o)[0]!);
    groups.set(root, [...(groups.get(root) ?? []), o]);
  }
  return [...groups.values()].map((g) =>
    g
      .sort((a, b) => {
        const x = at(a);
        const y = at(b);
        if (x !== y) return x === null ? 1 : y === null ? -1 : y - x;
        const u = Date.parse(b.meta!.lastUpdated!) - Date.parse(a.meta!.lastUpdated!);
        // ids in code-unit order, as documented by lastn-groups.ts (not the locale's: 'Z' before 'a')
        return u !== 0 ? u : a.id! < b.id! ? -1 : a.id! > b.id! ? 1 : 0;
      })
      .slice(0, max)
      .map((o) => `Observation/${o.id}`),
  );
}

export function lastnTests(h: () => SearchHarness): void {
  const run = (params: Array<[string, string]>, access: AccessPolicy = FULL_ACCESS) =>
    lastn({ store: h().store, params, baseUrl: TEST_BASE, access });
  const keysOf = (r: Awaited<ReturnType<typeof run>>) => r.matches.map((v) => `${v.resourceType}/${v.id}`);

  /** Checks the result against the independent evaluation: same Observations, each group newest first. */
  async function expectLastn(params: Array<[string, string]>, min: number, access?: AccessPolicy): Promise<string[]> {
    const max = Number(params.find(([n]) => n === 'max')?.[1] ?? '1');
    const filters = params.filter(([n]) => n !== 'max');
    const matches = h()
      .oracle.search(['Observation'], filters)
      .map((k) => h().oracle.get(k)!);
    const groups = expectedGroups(matches, max);
    const got = keysOf(await run(params, access));
    const label = params.map((p) => p.join('=')).join('&');
    assert.deepEqual([...got].sort(), groups.flat().sort(), label);
    for (const g of groups)
      assert.deepEqual(
        got.filter((k) => g.includes(k)),
        g,
        `${label}: a group is newest first`,
      );
    assert.equal(new Set(got).size, got.length, 'no Observation twice');
    assert.ok(got.length >= min, `${label}: ${got.length} < ${min}: choose a better probe`);
    return got;
  }

  /** The patient with the most vital-signs Observations (deterministic probe). */
  const busiest = (category: string, skip = 0) => {
    const count = new Map<string, number>();
    for (const o of h().oracle.all(['Observation']) as Observation[])
      if (o.category?.some((c) => c.coding?.some((x) => x.code === category)) && o.subject?.reference)
        count.set(o.subject.reference, (count.get(o.subject.reference) ?? 0) + 1);
    const ranked = [...count].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    return ranked[skip]![0].replace('Patient/', '');
  };

  it('$lastn: the latest Observation of each code for a patient and category, as the oracle groups them', async () => {
    const p = busiest('vital-signs');
    const got = await expectLastn(
      [
        ['patient', p],
        ['category', 'vital-signs'],
      ],
      5,
    );
    const all = h().oracle.search(
      ['Observation'],
      [
        ['patient', p],
        ['category', 'vital-signs'],
      ],
    );
    assert.ok(all.length > got.length, 'fewer than the matches: one per code');
  });

  it('$lastn: max=3, subject=Patient/x, code OR list, date range, two patients at once', async () => {
    const p = busiest('vital-signs');
    const q = busiest('vital-signs', 1);
    await expectLastn(
      [
        ['subject', `Patient/${p}`],
        ['category', 'vital-signs'],
        ['max', '3'],
      ],
      10,
    );
    await expectLastn(
      [
        ['patient', p],
        ['code', 'http://loinc.org|8867-4,http://loinc.org|29463-7'],
        ['max', '2'],
      ],
      2,
    );
    await expectLastn(
      [
        ['patient', `${p},${q}`],
        ['category', 'vital-signs,laboratory'],
        ['date', 'ge2010'],
        ['max', '2'],
      ],
      4,
    );
  });

  it('$lastn: codings of one Observation are translations (groups merge transitively); text-only codes', async () => {
    const run = Math.random().toString(36).slice(2, 8);
    const subject = { reference: `Patient/lastn-${run}` };
    const sys = `http://nilecare.test/lastn-${run}`;
    const obs = (id: string, codes: string[], at: string, text?: string): Observation => ({
      resourceType: 'Observation',
      id: `lastn-${run}-${id}`,
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'exam' }] }],
      code: { coding: codes.map((code) => ({ system: sys, code })), ...(text ? { text } : {}) },
      subject,
      effectiveDateTime: at,
      meta: { versionId: '1', lastUpdated: new Date(Date.UTC(2025, 0, 1)).toISOString() },
    });
    await h().add([
      obs('a1', ['a'], '2020-01-01'),
      obs('b1', ['b'], '2020-01-02'),
      obs('ac', ['a', 'c'], '2019-01-01'),
      obs('c1', ['c'], '2021-06-01'),
      obs('t1', [], '2021-01-01', 'Blood sugar'),
      obs('t2', [], '2022-01-01', 'Blood sugar'),
      obs('nd', ['b'], '2018-01-01'),
    ]);
    const got = await expectLastn(
      [
        ['subject', subject.reference],
        ['category', 'exam'],
        ['max', '2'],
      ],
      5,
    );
    // groups: {a, c} (a1, ac, c1), {b} (b1, nd), text 'blood sugar' (t1, t2)
    assert.deepEqual(
      [...got].sort(),
      ['c1', 'a1', 'b1', 'nd', 't2', 't1'].map((x) => `Observation/lastn-${run}-${x}`).sort(),
    );
  });

  it('$lastn: a store leaving out what cannot be newest (NewestPerCode) still answers as the oracle groups', async () => {
    // built so that a store that dropped too much would differ: an old Observation joining codes a and b (kept though
    // it is in neither code's newest), ties on date broken by lastUpdated then by id in code-unit order ('Z' < 'a',
    // where a locale's collation says the reverse), Observations without a date last, a repeated coding, one code in
    // two systems, text-only codes
    const run = Math.random().toString(36).slice(2, 8);
    const subject = { reference: `Patient/lastn-p-${run}` };
    const sys = `http://nilecare.test/lastn-${run}`;
    const day = (d: number) => new Date(Date.UTC(2025, 0, d)).toISOString();
    const obs = (
      id: string,
      codes: Array<string | [string, string]>,
      at: string | undefined,
      updated = 1,
      text?: string,
    ): Observation => ({
      resourceType: 'Observation',
      id: `lastn-${run}-${id}`,
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'exam' }] }],
      code: {
        coding: codes.map((c) => (typeof c === 'string' ? { system: sys, code: c } : { system: c[0], code: c[1] })),
        ...(text ? { text } : {}),
      },
      subject,
      ...(at ? { effectiveDateTime: at } : {}),
      meta: { versionId: '1', lastUpdated: day(updated) },
    });
    await h().add([
      ...[1, 2, 3, 4].map((i) => obs(`a${i}`, ['a'], `2020-01-0${i}`)),
      obs('a5', ['a', 'a'], '2022-01-01'),
      ...[1, 2, 3].map((i) => obs(`b${i}`, ['b'], `2021-0${i}-01`)),
      obs('ab', ['a', 'b'], '2010-01-01'),
      obs('dZ', ['d'], '2019-05-05T10:00:00Z'),
      obs('da', ['d'], '2019-05-05T10:00:00Z'),
      obs('d-', ['d'], '2019-05-05T10:00:00Z'),
      obs('dq', ['d'], '2019-05-05T10:00:00Z', 2),
      obs('d0', ['d'], '2019-05-04'),
      obs('e1', ['e'], undefined, 3),
      obs('e2', ['e'], undefined, 4),
      obs('e3', ['e'], '2000-01-01'),
      obs('f1', ['f'], '2001-01-01'),
      obs('f2', [[`${sys}/other`, 'f']], '2001-01-02'),
      obs('f3', [[`${sys}/other`, 'f']], '2001-01-03'),
      obs('t1', [], '2021-01-01', 1, 'Pulse'),
      obs('t2', [], '2021-01-02', 1, 'pulse'),
      obs('t3', [], '2021-01-03', 1, 'Pulse'),
    ]);
    const at = (max: string): Array<[string, string]> => [
      ['subject', subject.reference],
      ['category', 'exam'],
      ['max', max],
    ];
    const id = (x: string) => `Observation/lastn-${run}-${x}`;
    const one = await expectLastn(at('1'), 5);
    assert.deepEqual([...one].sort(), ['a5', 'dq', 'e3', 'f1', 'f3', 't3'].map(id).sort());
    const two = await expectLastn(at('2'), 10);
    // {a, b}: a5, b3 (ab joins them though it is old); d: dq (updated later), then d- (code units: '-' < 'Z' < 'a')
    assert.deepEqual(
      [...two].sort(),
      ['a5', 'b3', 'dq', 'd-', 'e3', 'e2', 'f1', 'f3', 'f2', 't3', 't2'].map(id).sort(),
    );
    const three = await expectLastn(at('3'), 12);
    assert.ok(three.includes(id('dZ')) && !three.includes(id('da')), 'ties by id in code-unit order');
    await expectLastn([...at('2'), ['code', `${sys}|a,${sys}|d`]], 4);
  });

  it('$lastn: searchEntries with NewestPerCode never answers more than the limit, nor a wrong group below it', async () => {
    const p = busiest('vital-signs');
    const parsed = parseSearch(
      ['Observation'],
      [
        ['patient', p],
        ['category', 'vital-signs'],
      ],
      { baseUrl: TEST_BASE },
    );
    const all = h().oracle.search(
      ['Observation'],
      [
        ['patient', p],
        ['category', 'vital-signs'],
      ],
    );
    assert.ok(all.length > 10, 'a patient with many vital signs');
    const rows = await h().store.searchEntries(parsed.query, ENTRY_PARAMS, 10, { ...LASTN_PARAMS, max: 1 });
    // a store that reads every match stops at the limit (the caller refuses: too many); one that walks a
    // (subject, code, date) structure (fhir_lastn) reads only what is kept, and what it keeps groups as all would
    assert.ok(rows.length <= 10, `${rows.length} rows above the limit`);
    if (rows.length < 10)
      assert.deepEqual(
        lastnGroups(rows, 1)
          .flatMap((g) => g.keys)
          .sort(),
        expectedGroups(
          all.map((k) => h().oracle.get(k)!),
          1,
        )
          .flat()
          .sort(),
      );
  });

  it('$lastn: a patient-context token sees only its patient; what it may not search is refused', async () => {
    const p = busiest('vital-signs');
    const q = busiest('vital-signs', 1);
    const own: AccessPolicy = {
      who: 'test',
      compartment: `Patient/${p}`,
      allows: () => true,
      constraints: () => undefined,
    };
    const params = (patient: string): Array<[string, string]> => [
      ['patient', patient],
      ['category', 'vital-signs'],
    ];
    await expectLastn(params(p), 5, own);
    assert.deepEqual(keysOf(await run(params(q), own)), [], "another patient's Observations are not seen");
    assert.deepEqual(
      keysOf(await run(params(`${p},${q}`), own)).sort(),
      keysOf(await run(params(p), own)).sort(),
      'asking for both gives only its own',
    );
    const noObservations: AccessPolicy = { ...own, allows: (_i, type) => type !== 'Observation' };
    await rejects(run(params(p), noObservations), 403, /Observation/);
  });

  it('$lastn: malformed requests answer 400 with an OperationOutcome', async () => {
    const p = busiest('vital-signs');
    const base: Array<[string, string]> = [
      ['patient', p],
      ['category', 'vital-signs'],
    ];
    await rejects(run([['category', 'vital-signs']]), 400, /subject/);
    await rejects(run([['patient', p]]), 400, /category/);
    await rejects(run([...base, ['max', '0']]), 400, /positive integer/);
    await rejects(run([...base, ['max', 'abc']]), 400, /positive integer/);
    await rejects(run([...base, ['max', '1'], ['max', '2']]), 400, /more than once/);
    await rejects(run([...base, ['max', '101']]), 400, /at most/);
    await rejects(run([...base, ['_sort', '-date']]), 400, /_sort/);
    await rejects(run([...base, ['no-such-param', 'x']]), 400, /no-such-param/);
    await rejects(run([...base, ['date', 'not-a-date']]), 400, /date/);
  });
}

async function rejects(promise: Promise<unknown>, status: number, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof FhirError, `a FhirError, not ${String(err)}`);
    assert.equal(err.status, status);
    assert.equal(err.outcome.resourceType, 'OperationOutcome');
    assert.match(err.message, pattern);
    return true;
  });
}
