/**
 * `_filter` on every store, compared with the oracle: each filter is written beside the same question asked with
 * plain parameters, which the oracle evaluates independently (FHIRPath over the raw resources); and/or/not are
 * intersection, union and complement of those answers within the searched type. `ew` (no plain parameter) is
 * checked against the folded strings of the raw resources.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Observation, Patient } from '@medplum/fhirtypes';
import type { AccessPolicy } from '../../access-policy.js';
import { FhirError } from '../../errors.js';
import { fold } from './oracle/oracle-match.js';
import type { SearchHarness } from './search-harness.js';

type Expected = Set<string>;

export function filterParamTests(h: () => SearchHarness): void {
  const all = (type: string): Expected =>
    new Set(
      h()
        .oracle.all([type])
        .map((r) => `${type}/${r.id}`),
    );
  const q = (type: string, ...params: Array<[string, string]>): Expected => new Set(h().oracle.search([type], params));
  const and = (a: Expected, b: Expected): Expected => new Set([...a].filter((k) => b.has(k)));
  const or = (a: Expected, b: Expected): Expected => new Set([...a, ...b]);
  const not = (type: string, a: Expected): Expected => new Set([...all(type)].filter((k) => !a.has(k)));

  async function expectFilter(
    type: string,
    filter: string,
    expected: Expected,
    min = 1,
    access?: AccessPolicy,
  ): Promise<void> {
    const { keys } = await h().collect(
      [type],
      [
        ['_filter', filter],
        ['_count', '1000'],
      ],
      access ? { access } : {},
    );
    assert.deepEqual([...keys].sort(), [...expected].sort(), `${type}?_filter=${filter}`);
    assert.ok(expected.size >= min, `${filter}: only ${expected.size} expected, choose a better probe`);
    assert.ok(expected.size < all(type).size || min === 0 || type === 'Patient', `${filter}: a filter that filters`);
  }

  const patients = () => h().sample('Patient') as Patient[];
  const someFamily = () => patients().find((p) => p.name?.[0]?.family)!.name![0]!.family!;

  it('_filter: eq/ne on tokens, dates with gt/lt/ge/le, and/or and parentheses', async () => {
    await expectFilter(
      'Patient',
      'gender eq female and birthdate lt 1980-01-01',
      and(q('Patient', ['gender', 'female']), q('Patient', ['birthdate', 'lt1980-01-01'])),
    );
    await expectFilter(
      'Patient',
      '(gender eq male and birthdate ge 1990) or (gender eq female and birthdate le 1960-12-31)',
      or(
        and(q('Patient', ['gender', 'male']), q('Patient', ['birthdate', 'ge1990'])),
        and(q('Patient', ['gender', 'female']), q('Patient', ['birthdate', 'le1960-12-31'])),
      ),
    );
    await expectFilter('Observation', 'status ne final', q('Observation', ['status:not', 'final']), 0);
    // the most common quantity code of the corpus, with thresholds around its values' middle
    const withValue = (h().oracle.all(['Observation']) as Observation[]).filter(
      (o) => o.valueQuantity?.value !== undefined && o.code?.coding?.[0]?.system === 'http://loinc.org',
    );
    const counts = new Map<string, number[]>();
    for (const o of withValue) {
      const code = o.code.coding![0]!.code!;
      counts.set(code, [...(counts.get(code) ?? []), o.valueQuantity!.value!]);
    }
    const [code, values] = [...counts].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0]!;
    values.sort((a, b) => a - b);
    const low = values[Math.floor(values.length / 4)]!;
    const high = values[Math.floor((values.length * 3) / 4)]!;
    await expectFilter(
      'Observation',
      `code eq http://loinc.org|${code} and (value-quantity gt ${high} or value-quantity lt ${low})`,
      and(
        q('Observation', ['code', `http://loinc.org|${code}`]),
        or(q('Observation', ['value-quantity', `gt${high}`]), q('Observation', ['value-quantity', `lt${low}`])),
      ),
    );
    await expectFilter(
      'Observation',
      'date ge 2015-01-01 and date lt 2016-01-01 and category eq vital-signs',
      and(
        and(q('Observation', ['date', 'ge2015-01-01']), q('Observation', ['date', 'lt2016-01-01'])),
        q('Observation', ['category', 'vital-signs']),
      ),
    );
  });

  it('_filter: not (…), and binding tighter than or, case-insensitive keywords', async () => {
    await expectFilter(
      'Patient',
      'not (gender eq male or birthdate lt 1960)',
      not('Patient', or(q('Patient', ['gender', 'male']), q('Patient', ['birthdate', 'lt1960']))),
    );
    await expectFilter(
      'Observation',
      'category eq laboratory AND NOT (code eq http://loinc.org|2339-0) OR code eq http://loinc.org|8302-2',
      or(
        and(
          q('Observation', ['category', 'laboratory']),
          not('Observation', q('Observation', ['code', 'http://loinc.org|2339-0'])),
        ),
        q('Observation', ['code', 'http://loinc.org|8302-2']),
      ),
    );
  });

  it('_filter: strings (eq exact, co, sw, ew, ne), pr, _id, _lastUpdated and chains', async () => {
    const family = someFamily();
    await expectFilter('Patient', `family eq "${family}"`, q('Patient', ['family:exact', family]));
    await expectFilter('Patient', `family ne "${family}"`, not('Patient', q('Patient', ['family:exact', family])));
    await expectFilter(
      'Patient',
      `family co ${family.slice(1, 4).toLowerCase()}`,
      q('Patient', ['family:contains', family.slice(1, 4)]),
    );
    await expectFilter('Patient', `name sw ${family.slice(0, 2)}`, q('Patient', ['name', family.slice(0, 2)]));
    const tail = fold(family).slice(-3);
    await expectFilter(
      'Patient',
      `family ew "${tail.toUpperCase()}"`,
      new Set(
        patients()
          .filter((p) => (p.name ?? []).some((n) => n.family && fold(n.family).endsWith(tail)))
          .map((p) => `Patient/${p.id}`),
      ),
    );
    await expectFilter(
      'Observation',
      'value-quantity pr false and category eq vital-signs',
      and(q('Observation', ['value-quantity:missing', 'true']), q('Observation', ['category', 'vital-signs'])),
      1,
    );
    const id = patients()[0]!.id!;
    await expectFilter('Patient', `_id eq ${id}`, new Set([`Patient/${id}`]));
    await expectFilter('Patient', `_id ne ${id}`, not('Patient', new Set([`Patient/${id}`])));
    await expectFilter(
      'Patient',
      '_lastUpdated gt 2024-01-01T00:05:00Z',
      q('Patient', ['_lastUpdated', 'gt2024-01-01T00:05:00Z']),
    );
    const obs = h().sample('Observation') as Observation[];
    const subject = obs.find((o) => o.subject?.reference?.startsWith('Patient/'))!.subject!.reference!;
    const family2 = (h().oracle.get(subject) as Patient).name![0]!.family!;
    await expectFilter(
      'Observation',
      `subject:Patient.family eq "${family2}" and category eq vital-signs`,
      and(q('Observation', ['subject:Patient.family:exact', family2]), q('Observation', ['category', 'vital-signs'])),
    );
  });

  it('_filter under a patient-context policy: not (…) never reaches past the compartment', async () => {
    const id = (h().sample('Observation') as Observation[])
      .find((o) => o.subject?.reference?.startsWith('Patient/'))!
      .subject!.reference!.slice('Patient/'.length);
    const policy: AccessPolicy = {
      who: 'test',
      compartment: `Patient/${id}`,
      allows: () => true,
      constraints: () => undefined,
    };
    const own = new Set(
      h()
        .oracle.all(['Observation'])
        .filter((r) => h().oracle.inPatientCompartment(r, id))
        .map((r) => `Observation/${r.id}`),
    );
    await expectFilter('Observation', 'not (code eq http://nilecare.test|none)', own, 1, policy);
  });

  it('_filter mistakes answer 400 with an OperationOutcome', async () => {
    const bad = async (type: string[], params: Array<[string, string]>, pattern: RegExp) => {
      await assert.rejects(h().search(type, params), (err: unknown) => {
        assert.ok(err instanceof FhirError, String(err));
        assert.equal(err.status, 400);
        assert.equal(err.outcome.resourceType, 'OperationOutcome');
        assert.match(err.message, pattern);
        return true;
      });
    };
    await bad(['Patient'], [['_filter', 'gender eq']], /no value/);
    await bad(['Patient'], [['_filter', 'gender eq male and']], /expression/);
    await bad(['Patient'], [['_filter', '(gender eq male']], /expected '\)'/);
    await bad(['Patient'], [['_filter', 'gender xx male']], /operator/);
    await bad(['Patient'], [['_filter', 'nosuch eq 1']], /nosuch/);
    await bad(['Patient'], [['_filter', 'gender co ma']], /'co' is not supported/);
    await bad(['Patient'], [['_filter', 'gender pr maybe']], /true or false/);
    await bad(['Patient'], [['_filter', 'name eq "unclosed']], /not closed/);
    await bad(['Patient'], [['_filter', 'birthdate gt notadate']], /birthdate|date/);
    await bad(['Patient'], [['_filter', 'link[type eq seealso].other pr true']], /not supported/);
    await bad(['Patient'], [['_filter:exact', 'gender eq male']], /modifier/);
    await bad(
      [],
      [
        ['_type', 'Patient,Observation'],
        ['_filter', '_id eq x'],
      ],
      /one resource type/,
    );
  });
}
