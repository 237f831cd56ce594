/**
 * Arabic names through the REST API, on every store (each store runs it from its own *.int.test.ts): the FHIR
 * string rule (tashkeel, tatweel, the hamza forms of alef fold in the index and in the query; :exact stays exact),
 * the documented folds beyond it (ة/ه, ى/ي, compound names, name parts, articles), the `phonetic` parameter across
 * Arabic and Latin renderings, and no effect of the name-part entries on `_sort` or `:missing`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import type { StoreFactory } from '../../../store/testing/store-contract.js';
import type { ResourceStore } from '../../../store/resource-store.js';
import { startTestServer, type TestServer } from '../../../testing/test-server.js';

const PATIENTS: Record<string, Patient> = {
  diacritics: { resourceType: 'Patient', name: [{ given: ['مُحَمَّد'], family: 'أَحْمَد' }], gender: 'male' },
  plain: { resourceType: 'Patient', name: [{ given: ['محمد'], family: 'علي' }], gender: 'male' },
  mahmoud: { resourceType: 'Patient', name: [{ given: ['محمود'], family: 'عثمان' }], gender: 'male' },
  fatima: { resourceType: 'Patient', name: [{ given: ['فاطمة'], family: 'الطيب' }], gender: 'female' },
  tatweel: { resourceType: 'Patient', name: [{ given: ['إبراهيـــم'], family: 'آدم' }], gender: 'male' },
  maqsura: { resourceType: 'Patient', name: [{ given: ['مصطفى'], family: 'ٱلحسن' }], gender: 'male' },
  compound: { resourceType: 'Patient', name: [{ given: ['عبد الله'], family: 'نور الدين' }], gender: 'male' },
  chain: { resourceType: 'Patient', name: [{ text: 'آمنة عبدالرحمن بابكر' }], gender: 'female' },
  latin: { resourceType: 'Patient', name: [{ given: ['Mohamed'], family: 'Ahmed' }], gender: 'male' },
  latinAli: { resourceType: 'Patient', name: [{ given: ['Muhammad'], family: 'El-Tayeb' }], gender: 'male' },
  nbsp: { resourceType: 'Patient', name: [{ text: 'هالة\u00a0الزين' }], gender: 'female' },
};

export function describeArabicSearch(label: string, factory: StoreFactory): void {
  describe(`Arabic name search: ${label}`, () => {
    let store: ResourceStore;
    let dispose: () => Promise<void>;
    let server: TestServer;
    const ids = new Map<string, string>();
    const names = (bundle: Bundle) =>
      (bundle.entry ?? []).map((e) => [...ids].find(([, id]) => id === e.resource?.id)?.[0] ?? '?').sort();
    const search = async (query: string): Promise<string[]> => {
      const response = await server.fhir(`Patient?${query}`);
      assert.equal(response.status, 200, `${query}: ${response.text}`);
      return names(response.body as Bundle);
    };

    before(async () => {
      ({ store, dispose } = await factory());
      await store.init();
      console.log(`# store under test: ${store.description}`);
      server = await startTestServer(store);
      for (const [key, patient] of Object.entries(PATIENTS)) {
        const created = await server.fhir('Patient', { method: 'POST', body: patient });
        assert.equal(created.status, 201, created.text);
        ids.set(key, (created.body as Patient).id!);
      }
    });
    after(async () => {
      await server?.close();
      await store?.close();
      await dispose?.();
    });

    it('tashkeel and the hamza forms of alef fold in the index and in the query (the FHIR string rule)', async () => {
      assert.deepEqual(await search('name=محمد'), ['diacritics', 'plain']);
      assert.deepEqual(await search('name=احمد'), ['diacritics']);
      assert.deepEqual(await search('name=أحمد'), ['diacritics']);
      assert.deepEqual(await search(`given=${encodeURIComponent('مُحمَّد')}`), ['diacritics', 'plain']);
      assert.deepEqual(await search('family=ادم'), ['tatweel']); // آدم: alef with madda
      assert.deepEqual(await search('given=ابراهيم'), ['tatweel']); // إبراهيـــم: hamza below and tatweel
      assert.deepEqual(await search(`given=${encodeURIComponent('إبـراهيم')}`), ['tatweel']);
      assert.deepEqual(await search('family=الحسن'), ['maqsura']); // ٱلحسن: alef wasla
    });

    it(':exact stays exact: the same letters with or without marks are different exact values', async () => {
      assert.deepEqual(await search('family:exact=احمد'), []);
      assert.deepEqual(await search(`family:exact=${encodeURIComponent('أَحْمَد')}`), ['diacritics']);
      assert.deepEqual(await search(`family:exact=${encodeURIComponent('أحمد')}`), []);
      assert.deepEqual(await search('given:exact=فاطمه'), []);
      assert.deepEqual(await search('given:exact=فاطمة'), ['fatima']);
    });

    it('folds beyond the rule: ta marbuta and ha, alef maqsura and ya, compound names written apart or joined', async () => {
      assert.deepEqual(await search('given=فاطمه'), ['fatima']);
      assert.deepEqual(await search('given=مصطفي'), ['maqsura']);
      assert.deepEqual(await search('given=عبدالله'), ['compound']);
      assert.deepEqual(await search(`given=${encodeURIComponent('عبد الله')}`), ['compound']);
      assert.deepEqual(await search('family=نورالدين'), ['compound']);
      assert.deepEqual(await search(`name=${encodeURIComponent('عبد الرحمن')}`), ['chain']);
    });

    it('name parts: a later word of a name, a word without its article; NBSP is a space', async () => {
      assert.deepEqual(await search('name=بابكر'), ['chain']);
      assert.deepEqual(await search('name=عبدالرحمن'), ['chain']);
      assert.deepEqual(await search('name=طيب'), ['fatima']);
      assert.deepEqual(await search('name=الطيب'), ['fatima']);
      assert.deepEqual(await search('family=tayeb'), ['latinAli']);
      assert.deepEqual(await search('name=الزين'), ['nbsp']);
      assert.deepEqual(await search(`name=${encodeURIComponent('هالة الزين')}`), ['nbsp']);
      // a name part is not an exact value
      assert.deepEqual(await search('name:exact=بابكر'), []);
    });

    it(':contains sees the folded text', async () => {
      assert.deepEqual(await search('name:contains=حمد'), ['diacritics', 'plain']);
      assert.deepEqual(await search('name:contains=رحمن'), ['chain']);
    });

    it('phonetic: Arabic and Latin renderings meet, different names do not', async () => {
      for (const spelling of ['Mohammed', 'Muhammad', 'Mohamed', 'Mohamad', 'محمد', 'مُحَمَّد'])
        assert.deepEqual(await search(`phonetic=${encodeURIComponent(spelling)}`), [
          'diacritics',
          'latin',
          'latinAli',
          'plain',
        ]);
      assert.deepEqual(await search('phonetic=Mahmoud'), ['mahmoud']);
      assert.deepEqual(await search(`phonetic=${encodeURIComponent('Mohamed Ahmed')}`), ['diacritics', 'latin']);
      assert.deepEqual(await search(`phonetic=${encodeURIComponent('محمد احمد')}`), ['diacritics', 'latin']);
      assert.deepEqual(await search('phonetic=Fatma'), ['fatima']);
      assert.deepEqual(await search('phonetic=Eltayeb'), ['fatima', 'latinAli']);
      assert.deepEqual(await search('phonetic=Abdallah'), ['compound']);
      assert.deepEqual(await search(`phonetic=${encodeURIComponent('Amna Abdelrahman')}`), ['chain']);
      assert.deepEqual(await search('phonetic=Osman'), ['mahmoud']);
      assert.deepEqual(await search('phonetic=Mahmoud,Fatima'), ['fatima', 'mahmoud']);
      assert.deepEqual(await search('phonetic=x123'), []);
    });

    it('phonetic takes no text modifier; :missing works', async () => {
      const refused = await server.fhir('Patient?phonetic:exact=Mohamed');
      assert.equal(refused.status, 400);
      assert.equal((refused.body as { resourceType: string }).resourceType, 'OperationOutcome');
      assert.equal((await search('phonetic:missing=true')).length, 0);
    });

    it('name parts change neither _sort nor :missing', async () => {
      const sorted = await server.fhir('Patient?_sort=family&_count=50');
      const families = ((sorted.body as Bundle).entry ?? []).map((e) => (e.resource as Patient).name?.[0]?.family);
      // family `نور الدين` sorts as `نورالدين`, `الطيب` as `الطيب` (not `طيب`); patients without a family sort last
      assert.deepEqual(families, [
        'Ahmed',
        'El-Tayeb',
        'أَحْمَد',
        'آدم',
        'ٱلحسن',
        'الطيب',
        'عثمان',
        'علي',
        'نور الدين',
        undefined,
        undefined,
      ]);
      assert.deepEqual(await search('family:missing=true'), ['chain', 'nbsp']);
    });

    it('a chained search carries the folds: Observation?subject:Patient.name=احمد', async () => {
      const observation = await server.fhir('Observation', {
        method: 'POST',
        body: {
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'weight' },
          subject: { reference: `Patient/${ids.get('diacritics')}` },
        },
      });
      assert.equal(observation.status, 201, observation.text);
      const found = await server.fhir(`Observation?subject:Patient.name=${encodeURIComponent('احمد')}`);
      assert.equal((found.body as Bundle).entry?.length, 1);
      const phonetic = await server.fhir('Observation?subject:Patient.phonetic=Ahmad');
      assert.equal((phonetic.body as Bundle).entry?.length, 1);
    });

    it('$match finds a patient registered in the other script with a birth-date slip (personal + father key pairs)', async () => {
      // neither birth date agrees, no identifier, no phone: only the personal-and-father blocking key finds him
      const hani: Patient = {
        resourceType: 'Patient',
        name: [{ given: ['هاني', 'صالح'], family: 'عثمان' }],
        gender: 'male',
        birthDate: '1984-03-12',
      };
      const others: Patient[] = [
        { resourceType: 'Patient', name: [{ given: ['صالح', 'هاني'], family: 'عثمان' }], gender: 'male' },
        { resourceType: 'Patient', name: [{ given: ['هاني'], family: 'عثمان' }], gender: 'male' },
      ];
      const created: string[] = [];
      for (const patient of [hani, ...others]) {
        const response = await server.fhir('Patient', { method: 'POST', body: patient });
        assert.equal(response.status, 201, response.text);
        created.push((response.body as Patient).id!);
      }
      const query: Patient = {
        resourceType: 'Patient',
        name: [{ given: ['Hani', 'Salih'], family: 'Osman' }],
        gender: 'male',
        birthDate: '1984-12-03',
      };
      const response = await server.fhir('Patient/$match', {
        method: 'POST',
        body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: query }] },
      });
      assert.equal(response.status, 200, response.text);
      const entries = (response.body as Bundle).entry ?? [];
      assert.deepEqual(
        entries.map((e) => e.resource?.id),
        [created[0]],
      );
      assert.equal(
        entries[0]?.search?.extension?.find((x) => x.url === 'http://hl7.org/fhir/StructureDefinition/match-grade')
          ?.valueCode,
        'probable',
      );
    });
  });
}
