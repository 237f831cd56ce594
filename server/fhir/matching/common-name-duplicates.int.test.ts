/**
 * The duplicate check on create when one name is common: 300 patients named محمد أحمد علي (male, born every other
 * day), two of them born on the probe's day — one whose id sorts among the name-pair blocking search's first page (25
 * by id), one far past it — plus a woman of that name and a man of another name born that day. On PGlite, the
 * PostgreSQL server and mongo (mingo):
 * - creates of the same person (in Arabic, then in a Latin spelling) report exactly the same-day namesakes (and the
 *   earlier probe), none of the 298 others, not the woman, not the other name; a new namesake born on a day nobody
 *   else was is reported as nothing;
 * - a namesake born a day apart or with day and month swapped (a partial birth-date match: probable with the name and
 *   the town), whose id sorts far past the pair search's page, is reported: the name + birth-date searches also look
 *   up those dates;
 * - the candidates of the blocking searches read together (ResourceStore.searchAny: on PostgreSQL one statement, each
 *   branch driven by its lead condition — the birth date, the name pair) are exactly those of the searches one by one
 *   (store.search pages), for several probes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Patient } from '@medplum/fhirtypes';
import type { ResourceStore } from '../../store/resource-store.js';
import type { StoreFactory } from '../../store/testing/store-contract.js';
import { pgliteTestStore, postgresTestStore } from '../../store/postgres/testing/test-stores.js';
import { mongoTestStore } from '../../store/mongo/testing/test-stores.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { FULL_ACCESS } from '../access-policy.js';
import { prepareVersion } from '../interactions/commit-version.js';
import { storeSearchAny } from '../search/search-any.js';
import { loadMatchProfile } from './match-profile.js';
import { candidateSearches } from './match-patients.js';
import { patientFeatures } from './patient-features.js';

const NAMESAKES = 300;
const DAY_MS = 86_400_000;
const bornOn = (day: number) => new Date(Date.UTC(1970, 0, 1) + day * DAY_MS).toISOString().slice(0, 10);
const id = (i: number) => `n${String(i).padStart(3, '0')}`;
const namesake = (birthDate: string, gender: 'male' | 'female' = 'male', city?: string): Patient => ({
  resourceType: 'Patient',
  name: [{ use: 'official', given: ['محمد'], family: 'أحمد علي' }],
  gender,
  birthDate,
  ...(city ? { address: [{ city }] } : {}),
});
// n007 and n250 are born on the probe's day; every other namesake on a day of its own, two days apart or more
const PROBE_DAY = bornOn(14);
// n270 and n280 (far past the pair search's page, living in Omdurman) are born in 1985, when no other namesake was:
// n270 on 14 June, n280 on 7 March — the same man as a probe born a day later (15 June) or with day and month
// swapped (3 July): a partial birth-date match, probable with the name and the town
const CITY = 'أم درمان';
const birthDay = (i: number) =>
  i === 250 ? PROBE_DAY : i === 270 ? '1985-06-14' : i === 280 ? '1985-03-07' : bornOn(2 * i);
const cityOf = (i: number) => (i === 270 || i === 280 ? CITY : undefined);

for (const [label, factory] of [
  ['PGlite', pgliteTestStore],
  ['PostgreSQL server', postgresTestStore],
  ['mongo (mingo)', mongoTestStore],
] as Array<[string, StoreFactory]>) {
  describe(`duplicate check with ${NAMESAKES} namesakes: ${label}`, () => {
    let server: TestServer;
    let store: ResourceStore;
    let dispose: () => Promise<void>;

    before(async () => {
      ({ store, dispose } = await factory());
      server = await startTestServer(store, { env: { NILECARE_DUPLICATE_CHECK: 'on' } });
      const patients: Array<[string, Patient]> = [
        ...Array.from({ length: NAMESAKES }, (_, i): [string, Patient] => [
          id(i),
          namesake(birthDay(i), 'male', cityOf(i)),
        ]),
        ['woman', namesake(PROBE_DAY, 'female')],
        [
          'other',
          {
            resourceType: 'Patient',
            name: [{ given: ['عثمان'], family: 'الطيب حسن' }],
            gender: 'male',
            birthDate: PROBE_DAY,
          },
        ],
      ];
      const services = server.app.services;
      for (let i = 0; i < patients.length; i += 100)
        await store.write(
          patients
            .slice(i, i + 100)
            .map(([key, patient]) => prepareVersion(services, 'Patient', key, { ...patient, id: key }, 0)),
        );
    });
    after(async () => {
      await server?.close();
      await store?.close();
      await dispose?.();
    });

    const create = async (patient: Patient) => {
      const response = await server.fhir('Patient', { method: 'POST', body: patient });
      assert.equal(response.status, 201, response.text);
      const reported = (response.headers.get('x-probable-duplicates') ?? '')
        .split(', ')
        .filter(Boolean)
        .map((entry) => /^Patient\/([^;]+);/.exec(entry)?.[1]);
      return { id: (response.body as Patient).id!, reported: reported.sort() };
    };

    it('reports exactly the namesakes born the same day, whatever their place among the namesakes', async () => {
      const arabic = await create(namesake(PROBE_DAY));
      assert.deepEqual(arabic.reported, ['n007', 'n250']);
      const latin = await create({
        resourceType: 'Patient',
        name: [{ given: ['Mohammed'], family: 'Ahmed Ali' }],
        gender: 'male',
        birthDate: PROBE_DAY,
      });
      assert.deepEqual(latin.reported, [arabic.id, 'n007', 'n250'].sort());
      // born on a day no namesake was (an odd day, far from the others' days): nothing to report
      assert.deepEqual((await create(namesake(bornOn(2 * NAMESAKES + 101)))).reported, []);
    });

    it('reports a namesake born a day apart, or with day and month swapped, far past the pair search page', async () => {
      assert.deepEqual((await create(namesake('1985-06-15', 'male', CITY))).reported, ['n270']);
      assert.deepEqual((await create(namesake('1985-07-03', 'male', CITY))).reported, ['n280']);
      // two days apart, or another month: not a partial birth-date match, nothing to report
      assert.deepEqual((await create(namesake('1985-06-12', 'male', CITY))).reported, []);
      assert.deepEqual((await create(namesake('1985-05-14', 'male', CITY))).reported, []);
    });

    it('the blocking searches read together find what they find one by one', async (t) => {
      if (!store.searchAny) {
        t.skip('this store has no statement of its own: searchAny is the searches one by one');
        return;
      }
      const profile = loadMatchProfile();
      const oneByOne = { search: (q) => store.search(q) } as Pick<ResourceStore, 'search'> as ResourceStore;
      const probes: Patient[] = [
        namesake(PROBE_DAY),
        namesake(bornOn(300)),
        namesake(PROBE_DAY, 'female'),
        namesake('1985-06-15'),
        namesake('1985-07-03'),
        { resourceType: 'Patient', name: [{ given: ['Muhammad'], family: 'Ahmad Ali' }], gender: 'male' },
        { resourceType: 'Patient', name: [{ given: ['عثمان'], family: 'الطيب حسن' }], birthDate: PROBE_DAY },
      ];
      for (const probe of probes) {
        const searches = candidateSearches(
          { baseUrl: server.baseUrl, access: FULL_ACCESS },
          patientFeatures(probe, profile),
          profile,
          undefined,
        );
        assert.ok(
          searches.some((s) => s.lead),
          'the name searches name their lead',
        );
        const keys = (found: Array<{ id: string }>) => found.map((v) => v.id).sort();
        const together = keys(await storeSearchAny(store, searches));
        assert.deepEqual(together, keys(await storeSearchAny(oneByOne, searches)), JSON.stringify(probe.name));
        assert.ok(together.length > 0);
      }
    });
  });
}
