/**
 * The duplicate check of a name thousands share costs about a page of lookups, not one per namesake, and still finds
 * the right candidates: 2,000 patients named محمد أحمد علي (some in a Latin spelling, one in ten a woman, some without
 * a gender, some deleted — the first by id among them — 30 born on the probe's day), on PGlite and the PostgreSQL
 * server:
 * - for probes of that name (man, woman, no gender, no birth date, Latin spelling, with and without the created id
 *   left out) the candidates through the store's fixed statement (store/postgres/led-candidates.ts) are exactly those
 *   of the blocking searches one by one and of the generic statement;
 * - the statement for a man of that name reads a bounded number of index entries and buffers: its name-pair search
 *   walks the namesakes in id order and stops at its page (before: every namesake was read and sorted, ~5 buffers
 *   each, 10,666 buffers for 2,040 namesakes).
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

const NAMESAKES = 2000;
const DAY_MS = 86_400_000;
const bornOn = (day: number) => new Date(Date.UTC(1940, 0, 1) + day * DAY_MS).toISOString().slice(0, 10);
const PROBE_DAY = '1990-04-05';
const id = (i: number) => `m${String(i).padStart(4, '0')}`;
const genderOf = (i: number) => (i % 10 === 3 ? 'female' : i % 50 === 7 ? undefined : 'male');
const deleted = (i: number) => i % 100 === 0;
const namesake = (i: number): Patient => ({
  resourceType: 'Patient',
  name: [i % 7 === 1 ? { given: ['Mohammed'], family: 'Ahmed Ali' } : { given: ['محمد'], family: 'أحمد علي' }],
  ...(genderOf(i) ? { gender: genderOf(i) } : {}),
  ...(i % 97 === 5 ? {} : { birthDate: i % 67 === 11 ? PROBE_DAY : bornOn(11 * i) }),
});
const probe = (extra: Partial<Patient>, name = { given: ['محمد'], family: 'أحمد علي' }): Patient => ({
  resourceType: 'Patient',
  name: [name],
  ...extra,
});
const MAN = probe({ gender: 'male', birthDate: PROBE_DAY });

for (const [label, factory] of [
  ['PGlite', pgliteTestStore],
  ['PostgreSQL server', postgresTestStore],
] as Array<[string, StoreFactory]>) {
  describe(`duplicate check with ${NAMESAKES} namesakes: ${label}`, () => {
    let server: TestServer;
    let store: ResourceStore;
    let dispose: () => Promise<void>;
    const profile = loadMatchProfile();
    const searchesOf = (patient: Patient, excludeId?: string) =>
      candidateSearches(
        { baseUrl: server.baseUrl, access: FULL_ACCESS },
        patientFeatures(patient, profile),
        profile,
        excludeId,
      );
    const client = () => (store as unknown as { client: SqlClient }).client;

    before(async () => {
      ({ store, dispose } = await factory());
      server = await startTestServer(store, { env: { NILECARE_DUPLICATE_CHECK: 'off' } });
      const services = server.app.services;
      const all: Array<[string, Patient]> = [
        ...Array.from({ length: NAMESAKES }, (_, i): [string, Patient] => [id(i), namesake(i)]),
        ['other', probe({ gender: 'male', birthDate: PROBE_DAY }, { given: ['عثمان'], family: 'الطيب حسن' })],
      ];
      for (let i = 0; i < all.length; i += 250)
        await store.write(
          all.slice(i, i + 250).map(([key, p]) => prepareVersion(services, 'Patient', key, { ...p, id: key }, 0)),
        );
      const gone = Array.from({ length: NAMESAKES }, (_, i) => i).filter(deleted);
      await store.write(gone.map((i) => prepareVersion(services, 'Patient', id(i), null, 1)));
      await client().exec('ANALYZE');
    });
    after(async () => {
      await server?.close();
      await store?.close();
      await dispose?.();
    });

    it('finds the same candidates as the searches one by one and the generic statement', async () => {
      let asked: SearchQuery[] = [];
      const fixed = { searchAny: (q: SearchQuery[]) => ((asked = q), store.searchAny!(q)) } as ResourceStore;
      const generic = { searchAny: (q: SearchQuery[]) => runSearchAny(client(), q) } as ResourceStore;
      const oneByOne = { search: (q) => store.search(q) } as Pick<ResourceStore, 'search'> as ResourceStore;
      const keys = (found: StoredVersion[]) => found.map((v) => `${v.id}/${v.versionId}`).sort();
      const probes: Patient[] = [
        MAN,
        probe({ gender: 'female', birthDate: PROBE_DAY }),
        probe({ birthDate: '1990-04-06' }),
        probe({ gender: 'male' }),
        probe({ gender: 'female' }),
        probe({ gender: 'male', birthDate: '1990-05-04' }, { given: ['Muhammad'], family: 'Ahmad Ali' }),
        probe({ gender: 'male', birthDate: bornOn(11 * 300) }, { given: ['Mohammed'], family: 'Ahmed Ali' }),
      ];
      for (const [i, patient] of probes.entries())
        for (const excludeId of [undefined, id(1 + 10 * i)]) {
          const searches = searchesOf(patient, excludeId);
          const together = keys(await storeSearchAny(fixed, searches));
          const what = JSON.stringify([patient, excludeId]);
          assert.ok(ledCandidatesStatement(asked), `answered by the fixed statement: ${what}`);
          assert.deepEqual(together, keys(await storeSearchAny(oneByOne, searches)), what);
          assert.deepEqual(together, keys(await storeSearchAny(generic, searches)), what);
          // the pair search's page of namesakes is full: the walk went past the deleted first ids and the women
          assert.ok(together.filter((key) => key.startsWith('m')).length >= profile.candidates.perQuery, what);
          assert.ok(!together.some((key) => deleted(Number(key.slice(1, 5)))), what);
        }
    });

    it('reads a bounded number of index entries whatever the number of namesakes', async (t) => {
      let asked: SearchQuery[] = [];
      const capture = { searchAny: async (q: SearchQuery[]) => ((asked = q), []) } as unknown as ResourceStore;
      await storeSearchAny(capture, searchesOf(MAN, 'x'));
      const statement = ledCandidatesStatement(asked)!;
      const { rows } = await client().query<Record<string, string>>({
        text: `EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`,
        values: statement.values,
      });
      const plan = rows.map((r) => Object.values(r)[0]).join('\n');
      const buffers = Number(/Buffers: shared hit=(\d+)/.exec(plan)?.[1]);
      assert.ok(buffers < 1500, `${buffers} buffers\n${plan}`);
      // every entry of the name-pair index read, over all its loops (one loop per pair key of the name)
      const walks = [
        ...plan.matchAll(/Scan using fhir_idx_string_pair .*actual time=\S+ rows=([\d.]+) loops=([\d.]+)/g),
      ];
      assert.ok(walks.length > 0, plan);
      const read = walks.reduce((sum, [, n, loops]) => sum + Number(n) * Number(loops), 0);
      const pairs = walks.reduce((sum, [, , loops]) => sum + Number(loops), 0);
      // a page (26) of men per pair key, past the few women, people without a gender and deleted ones before them
      assert.ok(read <= 2 * (profile.candidates.perQuery + 1) * pairs, `${read} pair entries read\n${plan}`);
      t.diagnostic(`${read} name-pair entries read for ${pairs} pair keys, ${buffers} buffers`);
    });
  });
}
