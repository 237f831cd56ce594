import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSearch } from './parse-search.js';
import { FhirError } from '../errors.js';
import { DEFAULT_COUNT, MAX_COUNT } from './search-constants.js';
import type { Condition } from './search-query.js';
import type { AccessPolicy } from '../access-policy.js';

const BASE = 'http://h/fhir';
const conditions = (types: string[], params: Array<[string, string]>): Condition[] =>
  parseSearch(types, params, { baseUrl: BASE }).query.conditions;

describe('parseSearch', () => {
  it('normalises string values and splits OR values on unescaped commas', () => {
    // a person-name parameter also matches its name-part entries (indexing/text/name-parameters.ts)
    const name = { kind: 'string', param: 'name', match: 'prefix', values: ['muller', 'smith,jr'] } as const;
    assert.deepEqual(conditions(['Patient'], [['name', 'Müller,Smith\\,Jr']]), [
      { kind: 'or', any: [name, { ...name, param: 'name~part' }] },
    ]);
    assert.deepEqual(conditions(['Organization'], [['name', 'Müller']]), [
      { kind: 'string', param: 'name', match: 'prefix', values: ['muller'] },
    ]);
    assert.deepEqual(conditions(['Patient'], [['family:exact', 'Müller']]), [
      { kind: 'string', param: 'family', match: 'exact', values: ['Müller'] },
    ]);
  });

  it('reads the four token forms and :not / :text / :of-type', () => {
    const [c] = conditions(['Observation'], [['code', 'http://loinc.org|1,2,|3,http://loinc.org|']]);
    assert.deepEqual(c, {
      kind: 'token',
      param: 'code',
      negate: false,
      values: [
        { match: 'code', system: 'http://loinc.org', code: '1' },
        { match: 'code', code: '2' },
        { match: 'code', system: null, code: '3' },
        { match: 'code', system: 'http://loinc.org' },
      ],
    });
    assert.equal((conditions(['Patient'], [['gender:not', 'male']])[0] as { negate: boolean }).negate, true);
    assert.deepEqual(
      (conditions(['Observation'], [['code:text', 'Blood  Pressure']])[0] as { values: unknown[] }).values,
      [{ match: 'text', text: 'blood pressure' }],
    );
    assert.deepEqual((conditions(['Patient'], [['identifier:of-type', 's|MR|1']])[0] as { values: unknown[] }).values, [
      { match: 'of-type', typeSystem: 's', typeCode: 'MR', value: '1' },
    ]);
  });

  it('turns date prefixes into range comparisons over the precision of the value', () => {
    const [c] = conditions(['Patient'], [['birthdate', 'eq2020-02']]);
    const low = Date.UTC(2020, 1, 1);
    const high = Date.UTC(2020, 2, 1) - 1;
    assert.deepEqual(c, {
      kind: 'date',
      param: 'birthdate',
      match: [
        [
          { field: 'low', op: 'ge', value: low },
          { field: 'high', op: 'le', value: high },
        ],
      ],
    });
    const [sa] = conditions(['Patient'], [['birthdate', 'sa2020-02']]);
    assert.deepEqual(sa, { kind: 'date', param: 'birthdate', match: [[{ field: 'low', op: 'gt', value: high }]] });
    const [lu] = conditions(['Patient'], [['_lastUpdated', 'lt2020']]);
    assert.deepEqual(lu, { kind: 'lastUpdated', match: [[{ field: 'value', op: 'lt', value: Date.UTC(2020, 0, 1) }]] });
  });

  it('reads references: Type/id, bare id with one target, absolute URLs, :Type and :identifier', () => {
    const values = (name: string, value: string) =>
      (conditions(['Observation'], [[name, value]])[0] as { values: unknown[] }).values;
    assert.deepEqual(values('subject', 'Patient/1'), [{ match: 'literal', targetType: 'Patient', targetId: '1' }]);
    assert.deepEqual(values('subject', '1'), [{ match: 'literal', targetId: '1' }]);
    assert.deepEqual(values('patient', '1'), [{ match: 'literal', targetType: 'Patient', targetId: '1' }]);
    assert.deepEqual(values('subject:Patient', '1'), [{ match: 'literal', targetType: 'Patient', targetId: '1' }]);
    assert.deepEqual(values('subject', `${BASE}/Patient/1`), [
      { match: 'literal', targetType: 'Patient', targetId: '1' },
    ]);
    assert.deepEqual(values('subject', 'http://elsewhere/fhir/Patient/1'), [
      { match: 'url', url: 'http://elsewhere/fhir/Patient/1' },
    ]);
    assert.deepEqual(values('subject:identifier', 'http://mrn|7'), [
      { match: 'identifier', system: 'http://mrn', value: '7' },
    ]);
  });

  it('builds chains (typed, untyped, multi-level) and nested _has', () => {
    const [chain] = conditions(['Observation'], [['subject:Patient.organization.name', 'nile']]);
    assert.deepEqual(chain, {
      kind: 'chain',
      param: 'subject',
      targetTypes: ['Patient'],
      where: [
        {
          kind: 'chain',
          param: 'organization',
          targetTypes: ['Organization'],
          where: [{ kind: 'string', param: 'name', match: 'prefix', values: ['nile'] }],
        },
      ],
    });
    // Patient's name also looks at its name parts, Location's does not: one chain per distinct inner condition
    const [untyped] = conditions(['Observation'], [['subject.name', 'x']]) as Array<{
      kind: string;
      any: Array<{ kind: string; targetTypes: string[] }>;
    }>;
    assert.equal(untyped!.kind, 'or');
    assert.deepEqual(
      untyped!.any.flatMap((c) => c.targetTypes).sort(),
      ['Location', 'Patient'],
      'only the targets that have a name parameter',
    );
    assert.ok(untyped!.any.every((c) => c.kind === 'chain'));
    const [has] = conditions(['Patient'], [['_has:Encounter:patient:_has:Observation:encounter:code', '1']]);
    assert.deepEqual(has, {
      kind: 'has',
      sourceType: 'Encounter',
      sourceParam: 'patient',
      where: [
        {
          kind: 'has',
          sourceType: 'Observation',
          sourceParam: 'encounter',
          where: [{ kind: 'token', param: 'code', negate: false, values: [{ match: 'code', code: '1' }] }],
        },
      ],
    });
  });

  it('reads composite values part by part and quantity values with UCUM canonical units', () => {
    const [c] = conditions(['Observation'], [['code-value-quantity', 'http://loinc.org|8480-6$gt100']]);
    assert.deepEqual(c, {
      kind: 'composite',
      param: 'code-value-quantity',
      values: [
        [
          {
            kind: 'token',
            param: 'code',
            negate: false,
            values: [{ match: 'code', system: 'http://loinc.org', code: '8480-6' }],
          },
          {
            kind: 'quantity',
            param: 'value-quantity',
            values: [{ match: [[{ field: 'value', op: 'gt', value: 100 }]] }],
          },
        ],
      ],
    });
    const [q] = conditions(['Observation'], [['value-quantity', 'lt5|http://unitsofmeasure.org|mg']]);
    assert.deepEqual(q, {
      kind: 'quantity',
      param: 'value-quantity',
      values: [
        {
          match: [[{ field: 'value', op: 'lt', value: 0.005 }]],
          system: 'http://unitsofmeasure.org',
          code: 'g',
          canonical: true,
        },
      ],
    });
  });

  it('reads result parameters and caps _count', () => {
    const parsed = parseSearch(
      ['Observation'],
      [
        ['_sort', '-date,_id'],
        ['_count', '5000'],
        ['_total', 'accurate'],
        ['_summary', 'true'],
        ['_include', 'Observation:subject:Patient'],
        ['_revinclude:iterate', 'Provenance:target'],
        ['_elements', 'code,subject'],
      ],
    );
    assert.deepEqual(parsed.query.sort, [
      { kind: 'date', param: 'date', descending: true },
      { kind: 'id', descending: false },
    ]);
    assert.equal(parsed.query.count, MAX_COUNT);
    assert.equal(parsed.query.total, 'accurate');
    assert.equal(parsed.summary, 'true');
    assert.deepEqual(parsed.includes, [
      { sourceType: 'Observation', param: 'subject', targetType: 'Patient', iterate: false },
    ]);
    assert.deepEqual(parsed.revincludes, [{ sourceType: 'Provenance', param: 'target', iterate: true }]);
    assert.deepEqual(parsed.elements, ['code', 'subject']);
    assert.equal(parseSearch(['Patient'], []).query.count, DEFAULT_COUNT);
    assert.equal(parseSearch(['Patient'], [['_summary', 'count']]).query.count, 0);
  });

  it('expands _type for system search and adds the compartment of a compartment search', () => {
    const parsed = parseSearch(
      [],
      [
        ['_type', 'Patient,Observation'],
        ['_id', 'a'],
      ],
      { compartment: { resourceType: 'Patient', id: '9' } },
    );
    assert.deepEqual(parsed.query.resourceTypes, ['Patient', 'Observation']);
    assert.deepEqual(parsed.query.conditions, [
      { kind: 'id', values: ['a'] },
      { kind: 'compartment', ref: 'Patient/9' },
    ]);
  });

  it('accepts only compartment types and member types in a compartment search', () => {
    assert.throws(
      () => parseSearch(['Patient'], [], { compartment: { resourceType: 'Organization', id: '1' } }),
      (e: unknown) => e instanceof FhirError && e.status === 400 && /not a compartment/.test(e.message),
    );
    assert.throws(
      () => parseSearch(['Organization'], [], { compartment: { resourceType: 'Patient', id: '1' } }),
      (e: unknown) =>
        e instanceof FhirError && e.status === 400 && /not part of the Patient compartment/.test(e.message),
    );
    assert.equal(
      parseSearch(['Encounter'], [], { compartment: { resourceType: 'Encounter', id: '1' } }).query.conditions.length,
      1,
    );
  });

  it('rejects what it does not understand under strict handling and lists it under lenient handling', () => {
    assert.throws(
      () => parseSearch(['Patient'], [['shoe', '1']]),
      (e: unknown) => e instanceof FhirError && e.status === 400 && /shoe/.test(e.message),
    );
    const lenient = parseSearch(
      ['Patient'],
      [
        ['shoe', '1'],
        ['code:in', 'x'],
        ['gender', 'male'],
      ],
      { handling: 'lenient' },
    );
    assert.deepEqual(
      lenient.ignored.map((i) => i.name),
      ['shoe', 'code:in'],
    );
    assert.equal(lenient.query.conditions.length, 1);
    // bad values are errors under both handlings
    assert.throws(
      () => parseSearch(['Patient'], [['birthdate', 'soon']], { handling: 'lenient' }),
      (e: unknown) => e instanceof FhirError && e.status === 400,
    );
  });

  it('accepts _contained=false and _containedType=container (the defaults) and refuses the rest with a 400', () => {
    const plain = parseSearch(['Observation'], [['code', '1']]);
    for (const extra of [
      [['_contained', 'false']],
      [['_containedType', 'container']],
      [
        ['_contained', 'false'],
        ['_containedType', 'container'],
      ],
    ] as Array<Array<[string, string]>>) {
      for (const handling of ['strict', 'lenient'] as const) {
        const parsed = parseSearch(['Observation'], [['code', '1'], ...extra], { handling });
        assert.deepEqual(parsed.query, plain.query, JSON.stringify(extra));
        assert.deepEqual(parsed.ignored, []);
      }
    }
    assert.deepEqual(parseSearch([], [['_contained', 'false']]).query.conditions, []);
    const refused: Array<[string, string, RegExp]> = [
      ['_contained', 'true', /_contained=true is not supported: .*contained/],
      ['_contained', 'both', /_contained=both is not supported/],
      ['_containedType', 'contained', /_containedType=contained is not supported/],
      ['_contained', 'FALSE', /not one of false, true, both/],
      ['_contained', '', /not one of/],
      ['_contained', 'false,true', /not one of/],
      ['_containedType', 'both', /not one of container, contained/],
      ['_contained:missing', 'false', /takes no modifier/],
    ];
    for (const [name, value, pattern] of refused) {
      for (const handling of ['strict', 'lenient'] as const) {
        assert.throws(
          () => parseSearch(['Observation'], [[name, value]], { handling }),
          (e: unknown) => e instanceof FhirError && e.status === 400 && pattern.test(e.message),
          `${name}=${value} (${handling})`,
        );
      }
    }
  });

  it('applies an access policy: allowed types, compartment and constraints (OR of ANDs as AND of ORs)', () => {
    const access: AccessPolicy = {
      who: 't',
      compartment: 'Patient/7',
      allows: (_: string, t: string) => t !== 'Encounter',
      constraints: (t: string): Array<Record<string, string>> | undefined =>
        t === 'Observation' ? [{ category: 'laboratory', status: 'final' }, { category: 'vital-signs' }] : undefined,
    };
    const parsed = parseSearch(['Observation'], [], { access });
    const token = (param: string, code: string) => ({
      kind: 'token',
      param,
      negate: false,
      values: [{ match: 'code', code }],
    });
    assert.deepEqual(parsed.query.conditions, [
      { kind: 'compartment', ref: 'Patient/7' },
      { kind: 'or', any: [token('category', 'laboratory'), token('category', 'vital-signs')] },
      { kind: 'or', any: [token('status', 'final'), token('category', 'vital-signs')] },
    ]);
    assert.throws(
      () => parseSearch(['Encounter'], [], { access }),
      (e: unknown) => e instanceof FhirError && e.status === 403,
    );
    assert.throws(
      () => parseSearch(['Observation'], [['encounter:Encounter.status', 'x']], { access }),
      (e: unknown) => e instanceof FhirError && e.status === 403,
    );
    // an untyped chain only goes through the target types the caller may search
    const chain = parseSearch(['Observation'], [['encounter.status', 'x']], { access }).query.conditions[0] as {
      targetTypes: string[];
    };
    assert.ok(!chain.targetTypes.includes('Encounter'));
  });

  it('answers odd input with a 400 FhirError, never another exception', () => {
    const odd: Array<[string, string]> = [
      ['name:', 'x'],
      ['subject..name', 'x'],
      ['_has:', 'x'],
      ['_has:Observation:subject', 'x'],
      ['_has:Nope:subject:code', 'x'],
      ['_include', 'Observation'],
      ['_include', ':::'],
      ['_include:weird', 'Observation:subject'],
      ['_revinclude', 'Nope:x'],
      ['_count', '1e3'],
      ['_elements', '<script>'],
      ['birthdate', ''],
      ['birthdate', 'ge'],
      ['value-quantity', '|||'],
      ['code', '|'],
      ['code', 'a|b|c'],
      ['subject:identifier', '|'],
      ['_id', 'a b'],
      ['_lastUpdated', 'never'],
      ['_type', 'Nope'],
      ['_tag:missing', 'yes'],
      ['code-value-quantity', 'a$b$c'],
      ['probability', 'gtNaN'],
      ['probability', 'Infinity'],
      ['subject:Patient.organization.partof.partof.partof.partof.name', 'x'],
    ];
    for (const pair of odd) {
      for (const types of [['Observation'], ['Patient'], []]) {
        assert.throws(
          () => parseSearch(types, [pair]),
          (e: unknown) => e instanceof FhirError && e.status === 400,
          `${types[0] ?? '*'}?${pair.join('=')}`,
        );
      }
    }
  });
});
