/**
 * The duplicate check's candidates through the PostgreSQL store's fixed statement (store/postgres/led-candidates.ts:
 * one text, values as arrays, prepared once per connection) are exactly those of the blocking searches one by one
 * (store.search pages) and of the generic searchAny statement — on PGlite and the PostgreSQL server, for a generated
 * population (Arabic and Latin names, slips of the birth date, phones in other forms, national numbers) and for
 * probes made to reach the edges: names with a no-break space inside a word, many name words, more namesakes born
 * the same day than a search's page holds, one phone or one identifier shared by many, no birth date, no name, a
 * deleted namesake, two recorded names. An identifier without a system (`|value`) is not a shape the statement
 * answers: the generic statement does, with the same result.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Patient } from '@medplum/fhirtypes';
import type { ResourceStore, StoredVersion } from '../../store/resource-store.js';
import type { SearchQuery } from '../search/search-query.js';
import type { StoreFactory } from '../../store/testing/store-contract.js';
import type { SqlClient } from '../../store/postgres/sql-client.js';
import { pgliteTestStore, postgresTestStore } from '../../store/postgres/testing/test-stores.js';
import { ledCandidatesStatement } from '../../store/postgres/led-candidates.js';
import { runSearchAny } from '../../store/postgres/search/search-any.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { FULL_ACCESS } from '../access-policy.js';
import { prepareVersion } from '../interactions/commit-version.js';
import { storeSearchAny } from '../search/search-any.js';
import { loadMatchProfile } from './match-profile.js';
import { candidateSearches } from './match-patients.js';
import { patientFeatures } from './patient-features.js';
import { makePopulation, NATIONAL_ID } from './testing/name-population.js';

const NBSP = '\u00a0';
const SAME_DAY = '1990-04-05';
const SHARED_PHONE = '0912000111';
const SHARED_ID = '12345678901';
const patient = (given: string[], family: string | undefined, extra: Partial<Patient> = {}): Patient => ({
  resourceType: 'Patient',
  name: [{ given, ...(family ? { family } : {}) }],
  ...extra,
});

/** Patients stored besides the population (keyed by id), the edges the probes aim at. */
const EDGES: Array<[string, Patient]> = [
  // 40 namesakes born the same day: more than a search's page (25 + 1)
  ...Array.from({ length: 40 }, (_, i): [string, Patient] => [
    `same${String(i).padStart(2, '0')}`,
    patient(['محمد'], 'أحمد علي', { gender: 'male', birthDate: SAME_DAY }),
  ]),
  ...Array.from({ length: 30 }, (_, i): [string, Patient] => [
    `phone${i}`,
    patient(['عثمان'], 'الطيب', { gender: 'male', telecom: [{ system: 'phone', value: SHARED_PHONE }] }),
  ]),
  ...Array.from({ length: 30 }, (_, i): [string, Patient] => [
    `ident${i}`,
    patient(['Fatima'], 'Hassan', { gender: 'female', identifier: [{ system: NATIONAL_ID, value: SHARED_ID }] }),
  ]),
  ['nbsp1', patient([`عبد${NBSP}الله`], `عبد${NBSP}الرحمن حسن`, { gender: 'male', birthDate: '1977-11-02' })],
  ['nbsp2', patient(['عبد الله'], 'عبد الرحمن حسن', { gender: 'male', birthDate: '1977-11-02' })],
  ['many', patient(['محمد', 'أحمد'], 'علي عثمان حسن إبراهيم عمر آدم', { gender: 'male', birthDate: '1960-01-01' })],
  ['nodate', patient(['آمنة'], 'عمر آدم', { gender: 'female' })],
  ['noname', { resourceType: 'Patient', gender: 'female', birthDate: SAME_DAY }],
  ['gone', patient(['محمد'], 'أحمد علي', { gender: 'male', birthDate: SAME_DAY })],
  [
    'twonames',
    {
      resourceType: 'Patient',
      name: [
        { given: ['مدثر'], family: 'الطيب حسن' },
        { given: ['Mudathir'], family: 'Eltayeb Hassan' },
      ],
      gender: 'male',
      birthDate: '2001-12-11',
      telecom: [{ system: 'phone', value: '+249 91 555 0000' }],
      identifier: [
        { system: NATIONAL_ID, value: '99988877766' },
        { system: 'urn:oid:1.2.3', value: 'MRN|7,a\\b$c' },
      ],
    },
  ],
  ['nosystem', patient(['Omer'], 'Adam', { identifier: [{ system: '', value: 'X1' }] })],
];

const PROBES: Patient[] = [
  ...EDGES.map(([, p]) => p),
  patient(['Mohammed'], 'Ahmed Ali', { gender: 'male', birthDate: SAME_DAY }),
  patient(['محمد'], 'أحمد علي', { birthDate: '1990-05-04' }),
  patient(['محمد'], 'أحمد علي', { gender: 'female', birthDate: '1990-04-06' }),
  patient(['Abdalla'], 'Abdelrahman Hassan', { gender: 'male', birthDate: '1977-11-02' }),
  patient([`عبد${NBSP}الله`], undefined, { birthDate: '1977-11-02' }),
  patient(['...'], '---', { gender: 'male', birthDate: SAME_DAY }),
  patient(['X'], 'Y', { telecom: [{ system: 'sms', value: '00249912000111' }] }),
  patient(['Fatma'], 'Hasan', { identifier: [{ system: NATIONAL_ID, value: SHARED_ID }], birthDate: '1985' }),
  patient(['Aisha'], 'Omer', { birthDate: '1985-07' }),
];

/**
 * The plan PostgreSQL keeps for the fixed statement when it stops planning per execution (plan_cache_mode =
 * force_generic_plan: made without the values), for a patient with an identifier, a phone, a name and a birth date.
 * `keep`: prepared once and explained again later on the same connection (PGlite has one), to see it re-planned.
 */
async function genericPlan(store: ResourceStore, server: TestServer, keep = false): Promise<string> {
  const profile = loadMatchProfile();
  const probe = patient(['محمد'], 'أحمد علي', {
    gender: 'male',
    birthDate: SAME_DAY,
    telecom: [{ system: 'phone', value: SHARED_PHONE }],
    identifier: [{ system: NATIONAL_ID, value: SHARED_ID }],
  });
  let asked: SearchQuery[] = [];
  const capture = { searchAny: async (q: SearchQuery[]) => ((asked = q), []) } as unknown as ResourceStore;
  await storeSearchAny(
    capture,
    candidateSearches({ baseUrl: server.baseUrl, access: FULL_ACCESS }, patientFeatures(probe, profile), profile, 'x'),
  );
  const statement = ledCandidatesStatement(asked)!;
  const client = (store as unknown as { client: SqlClient }).client;
  return client.transaction(async (tx) => {
    await tx.query({ text: `SET LOCAL plan_cache_mode = force_generic_plan` });
    const { rows: prepared } = await tx.query({
      text: `SELECT 1 FROM pg_prepared_statements WHERE name = 'led_candidates_plan'`,
    });
    if (prepared.length === 0) await tx.query({ text: `PREPARE led_candidates_plan AS ${statement.text}` });
    // EXECUTE takes no bind parameters: the values as literals
    const { rows } = await tx.query<{ 'QUERY PLAN': string }>({
      text: `EXPLAIN EXECUTE led_candidates_plan(${statement.values!.map(literal).join(', ')})`,
    });
    if (!keep) await tx.query({ text: 'DEALLOCATE led_candidates_plan' });
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
}

function literal(value: unknown): string {
  const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;
  const element = (v: unknown) =>
    v === null ? 'NULL' : typeof v === 'number' ? String(v) : `"${String(v).replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  if (Array.isArray(value)) return quote(`{${value.map(element).join(',')}}`);
  return typeof value === 'number' ? String(value) : quote(String(value));
}

for (const [label, factory] of [
  ['PGlite', pgliteTestStore],
  ['PostgreSQL server', postgresTestStore],
] as Array<[string, StoreFactory]>) {
  describe(`duplicate check candidates through the fixed statement: ${label}`, () => {
    let server: TestServer;
    let store: ResourceStore;
    let dispose: () => Promise<void>;
    let emptyPlan: string;
    const { stored, positives, negatives } = makePopulation(500, 24);

    before(async () => {
      ({ store, dispose } = await factory());
      server = await startTestServer(store, { env: { NILECARE_DUPLICATE_CHECK: 'off' } });
      emptyPlan = await genericPlan(store, server, label === 'PGlite');
      const services = server.app.services;
      const all: Array<[string, Patient]> = [...stored.map((p): [string, Patient] => [p.id!, p]), ...EDGES];
      for (let i = 0; i < all.length; i += 100)
        await store.write(
          all.slice(i, i + 100).map(([id, p]) => prepareVersion(services, 'Patient', id, { ...p, id }, 0)),
        );
      await store.write([prepareVersion(services, 'Patient', 'gone', null, 1)]);
    });
    after(async () => {
      await server?.close();
      await store?.close();
      await dispose?.();
    });

    it('finds the same candidates as the searches one by one and the generic statement', async () => {
      const profile = loadMatchProfile();
      // the store's client, to run the generic statement beside the fixed one
      const client = (store as unknown as { client: SqlClient }).client;
      let asked: SearchQuery[] = [];
      const fixed = { searchAny: (q: SearchQuery[]) => ((asked = q), store.searchAny!(q)) } as ResourceStore;
      const generic = { searchAny: (q: SearchQuery[]) => runSearchAny(client, q) } as ResourceStore;
      const oneByOne = { search: (q) => store.search(q) } as Pick<ResourceStore, 'search'> as ResourceStore;
      const keys = (found: StoredVersion[]) => found.map((v) => `${v.id}/${v.versionId}`).sort();
      const probes = [...PROBES, ...positives(150).map((q) => q.patient), ...negatives(100).map((q) => q.patient)];
      let answered = 0;
      let found = 0;
      for (const [i, probe] of probes.entries()) {
        const searches = candidateSearches(
          { baseUrl: server.baseUrl, access: FULL_ACCESS },
          patientFeatures(probe, profile),
          profile,
          i % 2 === 0 ? 'same00' : undefined,
        );
        const together = keys(await storeSearchAny(fixed, searches));
        const what = JSON.stringify([probe.name, probe.birthDate, probe.identifier]);
        assert.deepEqual(together, keys(await storeSearchAny(oneByOne, searches)), what);
        assert.deepEqual(together, keys(await storeSearchAny(generic, searches)), what);
        if (asked.length === 0 || ledCandidatesStatement(asked))
          answered += 1; // no search: nothing asked
        else
          assert.ok(
            probe.identifier?.some((id) => id.system === ''),
            `not answered by the fixed statement: ${what}`,
          );
        found += together.length;
      }
      assert.ok(answered >= probes.length - 2, `${answered} of ${probes.length} answered by the fixed statement`);
      assert.ok(found > probes.length, 'the probes find candidates');
    });

    it('plans every search from its lead once the store is analysed, the generic plan too', async () => {
      // PGlite: the statement prepared on the empty store is the one explained again (re-planned with the statistics)
      await (store as unknown as { client: SqlClient }).client.exec('ANALYZE');
      const plan = await genericPlan(store, server);
      // every table read through the index of its lookup: no scan of a table
      assert.doesNotMatch(plan, /Seq Scan|Bitmap Heap Scan on fhir_resource/, plan);
      for (const index of [
        'fhir_idx_date_(low|high)',
        'fhir_idx_string_pair',
        'fhir_idx_token_code',
        'fhir_resource_pkey',
      ])
        assert.match(plan, new RegExp(`Scan (using|on) ${index}`), plan);
      // the server plans a table it has no statistics of as 10 pages: index lookups even on the empty store (PGlite,
      // analysed at start, knows its tables empty and scans them until the next ANALYZE re-plans: the plan above)
      if (label !== 'PGlite') assert.doesNotMatch(emptyPlan, /Seq Scan/, emptyPlan);
    });

    it('caps each search at its page and leaves out deleted patients', async () => {
      const profile = loadMatchProfile();
      const searches = candidateSearches(
        { baseUrl: server.baseUrl, access: FULL_ACCESS },
        patientFeatures(patient(['محمد'], 'أحمد علي', { gender: 'male', birthDate: SAME_DAY }), profile),
        profile,
        undefined,
      );
      const ids = (await storeSearchAny(store, searches)).map((v) => v.id).sort();
      // of the 40 namesakes born that day, the first 25 by id (each search's page) — never the deleted one
      assert.deepEqual(
        ids.filter((id) => id.startsWith('same') || id === 'gone'),
        Array.from({ length: 25 }, (_, i) => `same${String(i).padStart(2, '0')}`),
      );
    });
  });
}
