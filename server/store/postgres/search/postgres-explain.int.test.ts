/**
 * Every search predicate has an index path: with `enable_seqscan = off`, the plan of each compiled
 * query (one per Condition kind and modifier, sorts and keyset pages) contains no sequential scan.
 * Runs on the PostgreSQL server with a few thousand resources, analysed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { Condition, SearchQuery, SortKey } from '../../../fhir/search/search-query.js';
import type { ResourceStore } from '../../resource-store.js';
import { openPostgresStore } from '../open-postgres-store.js';
import { createTestDatabase } from '../testing/test-stores.js';
import { countStatement, pageStatement, searchCursor } from './run-search.js';
import { composite, day, num, put, qty, query, ref, remove, str, tok, uri } from './testing/search-test-helpers.js';

const N = 20_000;
const LOINC = 'http://loinc.org';
const cmp = (field: 'low' | 'high' | 'value', op: 'lt' | 'le' | 'gt' | 'ge' | 'eq', value: number) => ({
  field,
  op,
  value,
});

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: PlanNode[] };

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

describe('PostgreSQL search: every predicate is answerable by an index (EXPLAIN, server)', () => {
  let store: ResourceStore;
  let database: { url: string; drop: () => Promise<void> };
  let client: pg.Client;

  before(async () => {
    database = await createTestDatabase();
    store = await openPostgresStore({ url: database.url });
    await store.init();
    const started = Date.now();
    for (let start = 0; start < N; start += 1000) {
      const batch = Array.from({ length: 1000 }, (_, k) => start + k);
      await put(
        store,
        ...batch.map((i) => ({
          type: 'Patient',
          id: `p${i}`,
          compartments: [`Patient/p${i}`],
          lastUpdated: new Date(Date.UTC(2000, 0, 1) + i * 60_000).toISOString(),
          entries: [
            str('name', `Name${i}`),
            str('phonetic', i % 4 ? 'mhmd' : 'ahmd'), // a server-made key most patients share
            str('_text', `narrative of patient${i}`),
            str('_content', `content of patient${i} male female`),
            tok('gender', 'http://hl7.org/fhir/administrative-gender', i % 2 ? 'male' : 'female'),
            tok('identifier', 'urn:mrn', `MRN${i}`, { typeSystem: 'v2', typeCode: 'MR', text: `mrn ${i}` }),
            day('birthdate', `19${50 + (i % 50)}-01-0${1 + (i % 9)}`),
            ref('general-practitioner', `Practitioner/dr${i % 50}`),
          ],
        })),
      );
      await put(
        store,
        ...batch.map((i) => ({
          type: 'Observation',
          id: `o${i}`,
          compartments: [`Patient/p${i}`],
          entries: [
            ref('subject', `Patient/p${i}`),
            {
              kind: 'reference' as const,
              param: 'performer',
              targetType: null,
              targetId: null,
              url: `http://x.org/Practitioner/${i}`,
              identifierSystem: 'urn:lic',
              identifierValue: `L${i}`,
            },
            tok('code', LOINC, `c${i % 100}`),
            qty('value-quantity', i / 10, 'g/dL', { value: i, code: 'g/L' }),
            num('probability', i / N),
            uri('instantiates', `http://nilecare.sd/q/${i}`),
            composite('code-value-quantity', tok('code', LOINC, `c${i % 100}`), qty('value-quantity', i / 10, 'g/dL')),
          ],
        })),
      );
    }
    await put(
      store,
      ...Array.from({ length: 50 }, (_, i) => ({
        type: 'Practitioner',
        id: `dr${i}`,
        entries: [str('name', `Doctor${i}`)],
      })),
    );
    console.log(`# wrote ${2 * N} resources in ${Date.now() - started} ms (batches of 1000)`);
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('VACUUM ANALYZE'); // as autovacuum would: also moves GIN pending entries into the trigram index
    await client.query('SET enable_seqscan = off');
  });
  after(async () => {
    await client?.end();
    await store?.close();
    await database?.drop();
  });

  async function plan(statement: { text: string; values: unknown[] }): Promise<PlanNode[]> {
    const result = await client.query({ text: `EXPLAIN (FORMAT JSON) ${statement.text}`, values: statement.values });
    return nodes((result.rows[0] as { 'QUERY PLAN': [{ Plan: PlanNode }] })['QUERY PLAN'][0].Plan);
  }

  /**
   * The page query has no sequential scan; the count (which must find every match, so the planner
   * cannot bet on an early LIMIT) is answered through the index built for the predicate.
   */
  async function assertIndexed(label: string, q: SearchQuery, expected: string[] = []): Promise<void> {
    for (const [what, statement] of [
      ['page', pageStatement(q, q.count, searchCursor(q))],
      ['count', countStatement(q)],
    ] as const) {
      const all = await plan(statement);
      const seq = all.filter((n) => n['Node Type'] === 'Seq Scan');
      assert.deepEqual(
        seq.map((n) => n['Relation Name']),
        [],
        `${label} (${what}): sequential scan in\n${JSON.stringify(all[0], null, 1)}`,
      );
      const used = [...new Set(all.map((n) => n['Index Name']).filter(Boolean))];
      assert.ok(used.length > 0, `${label} (${what}): uses an index`);
      if (what === 'count' && expected.length > 0) {
        assert.ok(
          expected.some((name) => used.includes(name)),
          `${label}: answered by ${expected.join(' or ')}, not only ${used.join(', ')}`,
        );
      }
    }
    // the query also runs and finds what it should
    assert.ok((await store.search(q)).entries.length > 0, `${label}: finds rows`);
  }

  /** label, the index the predicate should be answered by (one of, `|`-separated), type, conditions */
  const cases: [string, string, string, Condition[]][] = [
    [
      'string prefix',
      'fhir_idx_string_value',
      'Patient',
      [{ kind: 'string', param: 'name', match: 'prefix', values: ['name12'] }],
    ],
    [
      'string exact',
      'fhir_idx_string_value',
      'Patient',
      [{ kind: 'string', param: 'name', match: 'exact', values: ['Name12'] }],
    ],
    [
      'string contains',
      'fhir_idx_string_trgm',
      'Patient',
      [{ kind: 'string', param: 'name', match: 'contains', values: ['e123'] }],
    ],
    [
      'token code',
      'fhir_idx_token_code',
      'Observation',
      [{ kind: 'token', param: 'code', negate: false, values: [{ match: 'code', code: 'c7' }] }],
    ],
    [
      'token system|code',
      'fhir_idx_token_code',
      'Observation',
      [{ kind: 'token', param: 'code', negate: false, values: [{ match: 'code', system: LOINC, code: 'c7' }] }],
    ],
    [
      '_text words',
      'fhir_idx_string_text_fts',
      'Patient',
      [{ kind: 'string', param: '_text', match: 'words', values: ['patient77', 'narrative'] }],
    ],
    [
      '_content words',
      'fhir_idx_string_content_fts',
      'Patient',
      [
        {
          kind: 'and',
          all: [
            { kind: 'string', param: '_content', match: 'words', values: ['patient77'] },
            { kind: 'string', param: '_content', match: 'words', values: ['content'] },
          ],
        },
      ],
    ],
    [
      'token :text',
      'fhir_idx_token_text',
      'Patient',
      [{ kind: 'token', param: 'identifier', negate: false, values: [{ match: 'text', text: 'mrn 12' }] }],
    ],
    [
      'token :of-type',
      'fhir_idx_token_code',
      'Patient',
      [
        {
          kind: 'token',
          param: 'identifier',
          negate: false,
          values: [{ match: 'of-type', typeSystem: 'v2', typeCode: 'MR', value: 'MRN7' }],
        },
      ],
    ],
    [
      'token :not',
      'fhir_idx_token_code',
      'Patient',
      [{ kind: 'token', param: 'gender', negate: true, values: [{ match: 'code', code: 'male' }] }],
    ],
    [
      'date range',
      'fhir_idx_date_low|fhir_idx_date_high',
      'Patient',
      [
        {
          kind: 'date',
          param: 'birthdate',
          match: [[cmp('low', 'ge', Date.UTC(1960, 0, 1)), cmp('high', 'le', Date.UTC(1960, 0, 2))]],
        },
      ],
    ],
    [
      'number',
      'fhir_idx_number_value',
      'Observation',
      [{ kind: 'number', param: 'probability', match: [[cmp('value', 'gt', 0.999)]] }],
    ],
    [
      'quantity',
      'fhir_idx_quantity_value',
      'Observation',
      [
        {
          kind: 'quantity',
          param: 'value-quantity',
          values: [{ match: [[cmp('value', 'gt', 299)]], system: 'http://unitsofmeasure.org', code: 'g/dL' }],
        },
      ],
    ],
    [
      'quantity canonical',
      'fhir_idx_quantity_canonical',
      'Observation',
      [
        {
          kind: 'quantity',
          param: 'value-quantity',
          values: [{ match: [[cmp('value', 'gt', 2990)]], code: 'g/L', canonical: true }],
        },
      ],
    ],
    [
      'reference literal',
      'fhir_idx_reference_target',
      'Observation',
      [{ kind: 'reference', param: 'subject', values: [{ match: 'literal', targetType: 'Patient', targetId: 'p5' }] }],
    ],
    [
      'reference url',
      'fhir_idx_reference_url',
      'Observation',
      [{ kind: 'reference', param: 'performer', values: [{ match: 'url', url: 'http://x.org/Practitioner/5' }] }],
    ],
    [
      'reference identifier',
      'fhir_idx_reference_identifier',
      'Observation',
      [{ kind: 'reference', param: 'performer', values: [{ match: 'identifier', system: 'urn:lic', value: 'L5' }] }],
    ],
    [
      'uri eq',
      'fhir_idx_uri_value',
      'Observation',
      [{ kind: 'uri', param: 'instantiates', match: 'eq', values: ['http://nilecare.sd/q/5'] }],
    ],
    [
      'uri below',
      'fhir_idx_uri_value',
      'Observation',
      [{ kind: 'uri', param: 'instantiates', match: 'below', values: ['http://nilecare.sd/q/29'] }],
    ],
    [
      'uri above',
      'fhir_idx_uri_value',
      'Observation',
      [{ kind: 'uri', param: 'instantiates', match: 'above', values: ['http://nilecare.sd/q/5/x'] }],
    ],
    [
      'missing',
      'fhir_idx_token_res',
      'Observation',
      [
        { kind: 'missing', param: 'code', paramKind: 'token', missing: false },
        { kind: 'id', values: ['o1'] },
      ],
    ],
    [
      'chain',
      'fhir_idx_string_value',
      'Observation',
      [
        {
          kind: 'chain',
          param: 'subject',
          targetTypes: ['Patient'],
          where: [{ kind: 'string', param: 'name', match: 'exact', values: ['Name42'] }],
        },
      ],
    ],
    [
      'has',
      'fhir_idx_token_code',
      'Patient',
      [
        {
          kind: 'has',
          sourceType: 'Observation',
          sourceParam: 'subject',
          where: [{ kind: 'token', param: 'code', negate: false, values: [{ match: 'code', code: 'c7' }] }],
        },
      ],
    ],
    ['id', 'fhir_resource_pkey|fhir_resource_current', 'Patient', [{ kind: 'id', values: ['p1', 'p2'] }]],
    [
      'lastUpdated',
      'fhir_resource_updated',
      'Patient',
      [{ kind: 'lastUpdated', match: [[cmp('value', 'ge', Date.UTC(2000, 0, 1) + (N - 10) * 60_000)]] }],
    ],
    [
      'composite',
      'fhir_idx_token_code|fhir_idx_quantity_value',
      'Observation',
      [
        {
          kind: 'composite',
          param: 'code-value-quantity',
          values: [
            [
              { kind: 'token', param: 'code', negate: false, values: [{ match: 'code', code: 'c7' }] },
              { kind: 'quantity', param: 'value-quantity', values: [{ match: [[cmp('value', 'gt', 200)]] }] },
            ],
          ],
        },
      ],
    ],
    ['compartment', 'fhir_compartment_ref', 'Observation', [{ kind: 'compartment', ref: 'Patient/p7' }]],
    [
      'string equals (server-made keys)',
      'fhir_idx_string_value',
      'Patient',
      [{ kind: 'string', param: 'name', match: 'equals', values: ['name42', 'name43'] }],
    ],
    [
      'or of entry conditions',
      'fhir_idx_string_value',
      'Patient',
      [
        {
          kind: 'or',
          any: [
            { kind: 'string', param: 'name', match: 'exact', values: ['Name9'] },
            { kind: 'string', param: 'name', match: 'prefix', values: ['name1234'] },
          ],
        },
      ],
    ],
    [
      'or of reference shapes',
      'fhir_idx_reference_target',
      'Observation',
      [
        {
          kind: 'or',
          any: [
            {
              kind: 'reference',
              param: 'subject',
              values: [{ match: 'literal', targetType: 'Patient', targetId: 'p5' }],
            },
            { kind: 'reference', param: 'subject', values: [{ match: 'url', url: 'http://x.org/Patient/p5' }] },
          ],
        },
      ],
    ],
    [
      'or with _id (hashed subplans over the resource table)',
      'fhir_idx_string_value|fhir_idx_string_trgm',
      'Patient',
      [
        {
          kind: 'or',
          any: [
            { kind: 'id', values: ['p1'] },
            { kind: 'string', param: 'name', match: 'exact', values: ['Name9'] },
          ],
        },
      ],
    ],
  ];

  for (const [label, index, type, conditions] of cases) {
    it(`${label}: ${index}`, () => assertIndexed(label, query(type, conditions, { count: 20 }), index.split('|')));
  }

  it('a page is chosen on keys (fhir_resource_current, index-only) and only its rows are read in full', async () => {
    const q = query(
      'Observation',
      [
        { kind: 'reference', param: 'subject', values: [{ match: 'literal', targetType: 'Patient', targetId: 'p5' }] },
        { kind: 'token', param: 'code', negate: false, values: [{ match: 'code', code: 'c5' }] },
      ],
      { count: 20 },
    );
    const all = await plan(pageStatement(q, q.count));
    const current = all.filter((n) => n['Index Name'] === 'fhir_resource_current');
    assert.deepEqual(
      current.map((n) => n['Node Type']),
      ['Index Only Scan'],
      JSON.stringify(all[0], null, 1),
    );
    assert.deepEqual(
      (await store.search(q)).entries.map((e) => e.id),
      ['o5'],
    );
  });

  // led-rows.ts; before, the planner's order probed the date of each of the record's entries first
  async function putRecord(record: string, extra: Parameters<typeof put>[1][] = []) {
    await put(
      store,
      ...Array.from({ length: 40 }, (_, i) => ({
        type: 'Observation',
        id: `${record}${i}`,
        compartments: [`Patient/${record}`],
        entries: [
          ref('subject', `Patient/${record}`),
          tok('code', LOINC, `r${i % 20}`),
          day('date', `2020-01-${10 + (i % 10)}`),
        ],
      })),
      ...extra,
    );
  }
  async function analysed(q: SearchQuery) {
    const statement = pageStatement(q, q.count);
    const result = await client.query({
      text: `EXPLAIN (ANALYZE, FORMAT JSON) ${statement.text}`,
      values: statement.values,
    });
    type Analysed = PlanNode & { 'Actual Loops': number; Plans?: Analysed[] };
    const all = nodes((result.rows[0] as { 'QUERY PLAN': [{ Plan: Analysed }] })['QUERY PLAN'][0].Plan) as Analysed[];
    const loops = (table: string) =>
      all.filter((n) => n['Relation Name'] === table).map((n) => `${n['Index Name']} ×${n['Actual Loops']}`);
    return { loops, plan: JSON.stringify(all[0], null, 1) };
  }
  const recordQuery = (record: string, code: { system?: string | null; code: string }) =>
    query(
      'Observation',
      [
        {
          kind: 'reference',
          param: 'subject',
          values: [{ match: 'literal', targetType: 'Patient', targetId: record }],
        },
        { kind: 'token', param: 'code', negate: false, values: [{ match: 'code', ...code }] },
        { kind: 'date', param: 'date', match: [[cmp('high', 'ge', Date.UTC(2020, 0, 1))]] },
      ],
      { count: 20 },
    );

  it('a record and a code of any system in it: led by the record, the code probed for each of its entries, the date only where it matched', async () => {
    await putRecord('rec');
    const q = recordQuery('rec', { code: 'r3' });
    const { loops, plan } = await analysed(q);
    assert.deepEqual(loops('fhir_idx_token'), ['fhir_idx_token_res ×40'], plan);
    assert.deepEqual(loops('fhir_idx_date'), ['fhir_idx_date_res ×2'], plan);
    assert.deepEqual(
      (await store.search(q)).entries.map((e) => e.id),
      ['rec23', 'rec3'],
    );
  });

  it('a subject and a code of a system (Observation): the candidates come from fhir_lastn, not one probe per Observation of the subject', async () => {
    // before: led by the subject's 43 reference entries, the code probed 43 times
    await putRecord('lrec', [
      // two codes: fhir_lastn keeps it under its subject with code NULL, so it is a candidate and matches
      {
        type: 'Observation',
        id: 'lrec-two-codes',
        compartments: ['Patient/lrec'],
        entries: [
          ref('subject', 'Patient/lrec'),
          tok('code', LOINC, 'r3'),
          tok('code', 'urn:local', 'x3'),
          day('date', '2020-02-01'),
        ],
      },
      // no code: a candidate (code NULL), not a match
      {
        type: 'Observation',
        id: 'lrec-no-code',
        compartments: ['Patient/lrec'],
        entries: [ref('subject', 'Patient/lrec'), day('date', '2020-02-01')],
      },
      // the code without a system: no candidate of `LOINC|r3`
      {
        type: 'Observation',
        id: 'lrec-no-system',
        compartments: ['Patient/lrec'],
        entries: [ref('subject', 'Patient/lrec'), tok('code', null, 'r3'), day('date', '2020-02-01')],
      },
      // the code in another system: no candidate
      {
        type: 'Observation',
        id: 'lrec-other-system',
        compartments: ['Patient/lrec'],
        entries: [ref('subject', 'Patient/lrec'), tok('code', 'urn:local', 'r3'), day('date', '2020-02-01')],
      },
    ]);
    const q = recordQuery('lrec', { system: LOINC, code: 'r3' });
    const { loops, plan } = await analysed(q);
    assert.deepEqual(loops('fhir_idx_token'), ['fhir_idx_token_res ×4'], plan);
    assert.deepEqual(loops('fhir_idx_date'), ['fhir_idx_date_res ×3'], plan);
    assert.deepEqual(
      (await store.search(q)).entries.map((e) => e.id),
      ['lrec-two-codes', 'lrec23', 'lrec3'],
    );
    // `|code`: the code without a system
    assert.deepEqual(
      (await store.search(recordQuery('lrec', { system: null, code: 'r3' }))).entries.map((e) => e.id),
      ['lrec-no-system'],
    );
    // a deleted match is neither a candidate nor a match
    await remove(store, 'Observation', 'lrec3');
    assert.deepEqual(
      (await store.search(q)).entries.map((e) => e.id),
      ['lrec-two-codes', 'lrec23'],
    );
  });

  // a value most resources share: the page walks the resources in page order and probes each one's entries through
  // the resource-led index, which holds the value, so the probe never visits the table (before: a heap page per entry)
  for (const [label, condition] of [
    ['prefix', { kind: 'string', param: 'name', match: 'prefix', values: ['name1'] }],
    ['equals', { kind: 'string', param: 'phonetic', match: 'equals', values: ['mhmd', 'mhmyd'] }],
    [
      'or of two params',
      {
        kind: 'or',
        any: [
          { kind: 'string', param: 'name', match: 'prefix', values: ['name1'] },
          { kind: 'string', param: 'name~part', match: 'prefix', values: ['name1'] },
        ],
      },
    ],
  ] as [string, Condition][]) {
    it(`a common string value (${label}): its entries are probed index-only in page order`, async () => {
      const q = query('Patient', [condition], { count: 20 });
      const all = await plan(pageStatement(q, q.count));
      const probes = all.filter(
        (n) => n['Relation Name'] === 'fhir_idx_string' || n['Index Name']?.startsWith('fhir_idx_string'),
      );
      assert.deepEqual(
        probes.map((n) => `${n['Node Type']} ${n['Index Name']}`),
        ['Index Only Scan fhir_idx_string_res_value'],
        JSON.stringify(all[0], null, 1),
      );
      assert.equal((await store.search(q)).entries.length, 20);
    });
  }

  it('_total=estimate: the planner estimate for a large result, near the real count', async () => {
    const all = await store.search(query('Patient', [], { total: 'estimate', count: 1 }));
    assert.ok(all.total !== undefined && Math.abs(all.total - N) < N * 0.2, `estimate ${all.total} for ${N}`);
    const few = await store.search(
      query('Patient', [{ kind: 'id', values: ['p1', 'p2', 'nope'] }], { total: 'estimate', count: 1 }),
    );
    assert.equal(few.total, 2, 'small results are counted exactly');
  });

  const sorts: [string, SortKey[]][] = [
    ['sort by string', [{ kind: 'string', param: 'name', descending: false }]],
    ['sort by date descending', [{ kind: 'date', param: 'birthdate', descending: true }]],
    ['sort by _lastUpdated', [{ kind: 'lastUpdated', descending: true }]],
  ];
  for (const [label, sort] of sorts) {
    it(`${label}, first and second keyset page`, async () => {
      const q = query(
        'Patient',
        [{ kind: 'token', param: 'gender', negate: false, values: [{ match: 'code', code: 'male' }] }],
        { sort, count: 10 },
      );
      await assertIndexed(label, q);
      const page = await store.search(q);
      await assertIndexed(`${label} (page 2)`, { ...q, cursor: page.nextCursor });
    });
  }
});
