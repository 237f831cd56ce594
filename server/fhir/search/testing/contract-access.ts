/**
 * Search suite, part 4: system and compartment search, AccessPolicy (compartment, types, constraints), strict/lenient,
 * errors.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { AccessPolicy, Interaction } from '../../access-policy.js';
import { FhirError } from '../../errors.js';
import { includeKeys, matchKeys, type SearchHarness } from './search-harness.js';
import { compartmentsOf } from '../../indexing/compartments.js';

/** `Type/id` of every literal reference in a resource. */
function referencesIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k === 'reference' && typeof v === 'string' ? [v] : referencesIn(v),
  );
}

function policy(options: {
  compartment?: string;
  deny?: string[];
  constraints?: Record<string, Array<Record<string, string>>>;
}): AccessPolicy {
  return {
    who: 'test',
    compartment: options.compartment,
    allows: (_i: Interaction, type: string) => !(options.deny ?? []).includes(type),
    constraints: (type: string) => options.constraints?.[type],
  };
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

export function accessTests(h: () => SearchHarness): void {
  const patientId = () =>
    h()
      .sample('Patient')
      .find((x) => x.id!.length > 10)!.id!;
  const inCompartment = (keys: string[], id: string) =>
    keys.filter((k) => h().oracle.inPatientCompartment(h().oracle.get(k)!, id));

  it('system search with _type, and across all types with resource-level parameters', async () => {
    await h().expectOracle(
      [],
      [
        ['_type', 'Patient,Observation'],
        ['_lastUpdated', 'ge2025'],
      ],
      3,
    );
    const b = await h().search([], [['_id', 'x-accent,x-vs-lab,x-risk-1']]);
    assert.deepEqual(matchKeys(b).sort(), h().oracle.search([], [['_id', 'x-accent,x-vs-lab,x-risk-1']]));
    assert.equal(matchKeys(b).length, 3);
    assert.match(b.link![0]!.url, /^http:\/\/nilecare\.test\/fhir\?/);
    await rejects(h().search([], [['name', 'x']]), 400, /all types/);
  });

  it('compartment search Patient/id/Type and Patient/id/*', async () => {
    const id = patientId();
    const compartment = { resourceType: 'Patient', id };
    const params: Array<[string, string]> = [
      ['category', 'vital-signs'],
      ['_count', '1000'],
    ];
    const b = await h().search(['Observation'], params, { compartment });
    const expected = inCompartment(h().oracle.search(['Observation'], params), id);
    assert.deepEqual(matchKeys(b).sort(), expected);
    assert.ok(expected.length > 0);
    assert.match(b.link![0]!.url, new RegExp(`/fhir/Patient/${id}/Observation\\?`));
    const { keys } = await h().collect([], [['_count', '1000']], { compartment });
    assert.deepEqual(keys.sort(), inCompartment(h().oracle.search([], []), id));
  });

  it('a patient-context policy confines matches, includes, chains and _has to the compartment', async () => {
    const id = patientId();
    const access = policy({ compartment: `Patient/${id}` });
    const params: Array<[string, string]> = [
      ['code', 'http://loinc.org|29463-7'],
      ['_count', '1000'],
    ];
    const b = await h().search(
      ['Observation'],
      [
        ...params,
        ['_include', 'Observation:subject'],
        ['_include', 'Observation:encounter'],
        ['_include:iterate', 'Encounter:service-provider'],
      ],
      { access },
    );
    assert.deepEqual(matchKeys(b).sort(), inCompartment(h().oracle.search(['Observation'], params), id));
    const included = includeKeys(b);
    assert.ok(included.includes(`Patient/${id}`) && included.some((k) => k.startsWith('Encounter/')));
    // Outside the compartment only shared resources (no patient's) that the record refers to (US Core):
    // here the service-provider Organizations of the patient's Encounters.
    const own = new Set([...matchKeys(b), ...inCompartment(included, id)]);
    const referred = new Set([...own].flatMap((k) => referencesIn(h().oracle.get(k))));
    const shared = included.filter((k) => !own.has(k));
    for (const k of shared) {
      assert.ok(!compartmentsOf(h().oracle.get(k)!).some((c) => c.startsWith('Patient/')), `${k} is a patient's`);
      assert.ok(referred.has(k), `${k} is not referred to by the patient's record`);
    }
    assert.ok(
      shared.length > 0 && shared.every((k) => k.startsWith('Organization/')),
      `the record's organizations: ${shared.join(', ')}`,
    );
    const chained = await h().search(
      ['Observation'],
      [
        ['subject:Patient.gender', 'male,female'],
        ['_count', '1000'],
      ],
      { access },
    );
    assert.deepEqual(
      matchKeys(chained).sort(),
      inCompartment(h().oracle.search(['Observation'], [['subject:Patient.gender', 'male,female']]), id),
    );
    const has = await h().search(['Patient'], [['_has:Observation:subject:code', '2339-0']], { access });
    assert.deepEqual(
      matchKeys(has),
      h()
        .oracle.search(['Patient'], [['_has:Observation:subject:code', '2339-0']])
        .filter((k) => k === `Patient/${id}`),
    );
    const other = h()
      .sample('Patient')
      .find((x) => x.id !== id)!;
    const outside = await h().search(['Observation'], [['subject', `Patient/${other.id}`]], { access });
    assert.equal(matchKeys(outside).length, 0);
  });

  it('checks allows() for every type and ANDs SMART constraints into the query', async () => {
    await rejects(h().search(['Observation'], [], { access: policy({ deny: ['Observation'] }) }), 403, /Observation/);
    await rejects(
      h().search(['Observation'], [['subject:Patient.name', 'x']], { access: policy({ deny: ['Patient'] }) }),
      403,
      /Patient/,
    );
    await rejects(
      h().search(['Patient'], [['_has:Observation:subject:code', 'x']], { access: policy({ deny: ['Observation'] }) }),
      403,
      /Observation/,
    );
    const noPatients = await h().search(
      ['Observation'],
      [
        ['code', '2339-0'],
        ['_include', 'Observation:subject'],
      ],
      { access: policy({ deny: ['Patient'] }) },
    );
    assert.equal(includeKeys(noPatients).length, 0);
    assert.ok(
      noPatients.entry!.some((e) => e.search?.mode === 'outcome'),
      'an outcome says why includes were left out',
    );
    const lab = policy({ constraints: { Observation: [{ category: 'laboratory' }] } });
    const b = await h().search(['Observation'], [['_count', '1000']], { access: lab });
    assert.deepEqual(matchKeys(b).sort(), h().oracle.search(['Observation'], [['category', 'laboratory']]));
    const p = patientId();
    const withObs = await h().search(
      ['Patient'],
      [
        ['_id', p],
        ['_revinclude', 'Observation:subject'],
      ],
      { access: lab },
    );
    const labOfPatient = h().oracle.search(
      ['Observation'],
      [
        ['subject', `Patient/${p}`],
        ['category', 'laboratory'],
      ],
    );
    assert.deepEqual(includeKeys(withObs), labOfPatient, 'reverse-included Observations obey the constraint too');
    assert.ok(labOfPatient.length > 0);
    const either = policy({
      constraints: { Observation: [{ category: 'laboratory', status: 'final' }, { code: 'http://loinc.org|29463-7' }] },
    });
    const e = await h().search(['Observation'], [['_count', '1000']], { access: either });
    const expected = [
      ...new Set([
        ...h().oracle.search(
          ['Observation'],
          [
            ['category', 'laboratory'],
            ['status', 'final'],
          ],
        ),
        ...h().oracle.search(['Observation'], [['code', 'http://loinc.org|29463-7']]),
      ]),
    ].sort();
    assert.deepEqual(matchKeys(e).sort(), expected);
  });

  it('strict handling rejects unknown or unsupported parameters; lenient ignores them with an outcome entry', async () => {
    await rejects(h().search(['Patient'], [['shoe-size', '42']]), 400, /shoe-size/);
    await rejects(h().search(['Observation'], [['code:in', 'http://loinc.org/vs']]), 400, /terminology/);
    await rejects(h().search(['Patient'], [['_contained', 'true']]), 400, /_contained=true is not supported/);
    const b = await h().search(
      ['Patient'],
      [
        ['shoe-size', '42'],
        ['gender', 'female'],
        ['_query', 'x'],
        ['_count', '1000'],
      ],
      { handling: 'lenient' },
    );
    assert.deepEqual(matchKeys(b).sort(), h().oracle.search(['Patient'], [['gender', 'female']]));
    const outcome = b.entry!.find((e) => e.search?.mode === 'outcome')!.resource as OperationOutcome;
    const text = outcome.issue.map((i) => i.diagnostics).join(' ');
    assert.match(text, /shoe-size/);
    assert.match(text, /_query/);
  });

  it('bad values get a 400 OperationOutcome naming the problem', async () => {
    await rejects(h().search(['Patient'], [['birthdate', 'last-tuesday']]), 400, /not a date/);
    await rejects(h().search(['Patient'], [['birthdate', '2020-13-01']]), 400, /not a date/);
    await rejects(h().search(['Observation'], [['value-quantity', 'gtabc']]), 400, /not a number/);
    await rejects(h().search(['Patient'], [['_count', '-1']]), 400, /_count/);
    await rejects(h().search(['Patient'], [['_sort', 'shoe-size']]), 400, /shoe-size/);
    await rejects(h().search(['Patient'], [['_total', 'some']]), 400, /_total/);
    await rejects(h().search(['Patient'], [['_summary', 'maybe']]), 400, /_summary/);
    await rejects(h().search(['Observation'], [['_include', 'Observation:status']]), 400, /not a reference/);
    await rejects(h().search(['Observation'], [['subject', 'Organization/1']]), 400, /cannot refer to Organization/);
    await rejects(h().search(['Patient'], [['gender:exact', 'female']]), 400, /modifier/);
    await rejects(h().search(['Patient'], [['identifier:of-type', 'a|b']]), 400, /of-type/);
    await rejects(h().search(['Observation'], [['code-value-quantity', 'http://loinc.org|8480-6']]), 400, /parts/);
    await rejects(h().search(['Patient'], [['name:missing', 'maybe']]), 400, /missing/);
    await rejects(h().search(['NotAType'], []), 400, /resource type/);
    await rejects(h().search(['Patient'], [['_cursor', 'not-a-cursor']]), 400, /cursor/);
    const big = await h().search(['Observation'], [['_count', '5000']]);
    assert.ok(matchKeys(big).length <= 1000, '_count is capped at the server maximum');
  });
}
