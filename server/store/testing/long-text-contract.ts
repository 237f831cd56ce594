/**
 * Shared store suite: long, incompressible and non-Latin text goes through the store (issue #25 `_text`/`_content`
 * on PostgreSQL, whose btree index rows are limited to 2,704 bytes after compression). Patients whose narrative
 * holds 4,000 random Arabic letters with no repetition pattern, 3,000 four-byte characters (astral: UTF-16
 * surrogate pairs), or one 10,000-letter Arabic word, and whose name and text fields hold long strings, are
 * written with their real index (extractIndex), read back unchanged, and found by `_text` and `_content` with a
 * word from the beginning of the narrative.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, Patient, Resource } from '@medplum/fhirtypes';
import type { StoreFactory } from './store-contract.js';
import type { ResourceStore } from '../resource-store.js';
import { extractIndex } from '../../fhir/indexing/extract-index.js';
import { searchInteraction } from '../../fhir/search/search-interaction.js';
import { FULL_ACCESS } from '../../fhir/access-policy.js';

/** The 28 Arabic letters (no marks, no hamza forms that the string folds change). */
const ARABIC = [...'ابتثجحخدذرزسشصضطظعغفقكلمنهوي'];
/** Astral letters: CJK Extension B (U+20000…), 4 bytes each in UTF-8, a surrogate pair each in JavaScript. */
const astral = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => String.fromCodePoint(0x20000 + ((i * 7919 + seed * 104729) % 40000))).join('');

/** A deterministic pseudo-random sequence (xorshift32): no repetition pattern compression could use. */
function randomLetters(n: number, seed: number): string {
  let x = seed >>> 0 || 1;
  let out = '';
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out += ARABIC[x % ARABIC.length];
  }
  return out;
}

/** Random Arabic words of 3–9 letters separated by spaces, `length` characters in all. */
function randomWords(length: number, seed: number): string {
  const letters = randomLetters(length, seed);
  let out = '';
  for (let i = 0; i < letters.length; i++)
    out += i > 0 && (i * 2654435761) % 7 === 0 && out.at(-1) !== ' ' ? ' ' : letters[i];
  return out.slice(0, length);
}

const div = (text: string) => `<div xmlns="http://www.w3.org/1999/xhtml">${text}</div>`;

type Case = { id: string; patient: Patient; word: string };

function cases(run: string): Case[] {
  const make = (name: string, narrative: string, first: string, seed: number): Case => {
    const id = `long-${run}-${name}`;
    const longName = randomLetters(3000, seed + 1);
    return {
      id,
      word: first,
      patient: {
        resourceType: 'Patient',
        id,
        meta: { versionId: '1', lastUpdated: '2025-03-01T00:00:00.000Z' },
        text: { status: 'generated', div: div(narrative) },
        name: [{ text: longName, family: randomLetters(2500, seed + 2), given: [astral(1500, seed + 3)] }],
        address: [{ text: randomWords(4000, seed + 4), city: astral(1000, seed + 5) }],
      },
    };
  };
  const arabic = randomWords(4000, 11);
  const astralText = Array.from({ length: 300 }, (_, i) => astral(10, i)).join(' ');
  const oneWord = randomLetters(10_000, 13);
  return [
    make('arabic', arabic, arabic.split(' ')[0]!, 100),
    make('astral', astralText, astralText.split(' ')[0]!, 200),
    // the one word is longer than any index value: it is findable by nothing but it must be stored
    make('word', `${randomLetters(5, 17)} ${oneWord}`, '', 300),
  ];
}

export function describeLongTextContract(label: string, factory: StoreFactory): void {
  describe(`Long non-Latin text: ${label}`, () => {
    let store: ResourceStore;
    let dispose: () => Promise<void>;
    const run = Math.random().toString(36).slice(2, 8);
    const all = cases(run);
    before(async () => {
      ({ store, dispose } = await factory());
      await store.init();
    });
    after(async () => {
      await store?.close();
      await dispose?.();
    });

    it('is written with its index, read back unchanged, and found by _text and _content', async () => {
      for (const { id, patient } of all) {
        const lastUpdated = patient.meta!.lastUpdated!;
        await store.write([
          { resourceType: 'Patient', id, versionId: 1, lastUpdated, resource: patient, index: extractIndex(patient) },
        ]);
        const read = await store.read('Patient', id);
        // every string as written (jsonb keeps its own key order: compared as values, not as text)
        assert.deepStrictEqual(read?.resource, patient, `${id} read back`);
      }
      for (const { id, patient, word } of all) {
        const first = word || (patient.text!.div.match(/>(\S+) /)?.[1] ?? '');
        assert.ok(first.length > 0);
        for (const param of ['_text', '_content']) {
          const bundle = await search(store, [[param, first]]);
          const ids = (bundle.entry ?? []).map((e) => e.resource?.id);
          assert.deepEqual(ids, [id], `${id}: ${param}=${first}`);
        }
      }
    });

    // Token, URI and reference values are matched whole: one longer than the index keeps (3,000 Arabic letters are
    // 6,000 bytes) was refused by PostgreSQL at write (index row size 3624 exceeds btree maximum 2704 for
    // fhir_idx_token_code / fhir_idx_uri_value / fhir_idx_reference_identifier / fhir_idx_reference_url, a 500). It is
    // indexed folded (its beginning and a digest of the whole, index-value-bytes.ts) and searched folded: still exact.
    it('long identifier, email, URI and references are written unchanged and found by exact match, exactly', async () => {
      const mrn = 'http://hospital.example.sd/mrn';
      const long = randomLetters(3000, 21);
      const twin = long.slice(0, -1) + (long.endsWith('ب') ? 'ت' : 'ب'); // the same but for its last letter
      const email = `${randomLetters(3000, 22)}@example.sd`;
      const practitioner = randomLetters(3000, 23);
      const organization = `http://other.example.sd/fhir/Organization/${randomLetters(3000, 24)}`;
      const valueSetUrl = `http://terminology.example.sd/${randomLetters(3000, 25)}`;
      const meta = { versionId: '1', lastUpdated: '2025-03-01T00:00:00.000Z' };
      const resources = [
        {
          resourceType: 'Patient',
          id: `key-${run}-a`,
          meta,
          identifier: [{ system: mrn, value: long }],
          telecom: [{ system: 'email', value: email }],
          generalPractitioner: [{ identifier: { system: 'urn:sd:practitioner', value: practitioner } }],
          managingOrganization: { reference: organization },
        },
        { resourceType: 'Patient', id: `key-${run}-b`, meta, identifier: [{ system: mrn, value: twin }] },
        { resourceType: 'ValueSet', id: `key-${run}-vs`, meta, status: 'active', url: valueSetUrl },
      ] as Resource[];
      for (const resource of resources) {
        await store.write([
          {
            resourceType: resource.resourceType,
            id: resource.id!,
            versionId: 1,
            lastUpdated: meta.lastUpdated,
            resource,
            index: extractIndex(resource),
          },
        ]);
        const read = await store.read(resource.resourceType, resource.id!);
        assert.deepStrictEqual(read?.resource, resource, `${resource.id} read back`);
      }
      const found = async (type: string, params: Array<[string, string]>) =>
        ((await search(store, params, type)).entry ?? []).map((e) => e.resource?.id);
      const [a, b, vs] = resources.map((r) => r.id);
      assert.deepEqual(await found('Patient', [['identifier', `${mrn}|${long}`]]), [a]);
      assert.deepEqual(await found('Patient', [['identifier', `${mrn}|${twin}`]]), [b], 'not its twin');
      assert.deepEqual(await found('Patient', [['identifier', long]]), [a]);
      assert.deepEqual(await found('Patient', [['email', email]]), [a]);
      assert.deepEqual(await found('Patient', [['email', email.slice(1)]]), [], 'the whole value, not a part');
      assert.deepEqual(
        await found('Patient', [['general-practitioner:identifier', `urn:sd:practitioner|${practitioner}`]]),
        [a],
      );
      assert.deepEqual(await found('Patient', [['organization', organization]]), [a]);
      assert.deepEqual(await found('ValueSet', [['url', valueSetUrl]]), [vs]);
      assert.deepEqual(await found('ValueSet', [['url:below', valueSetUrl.slice(0, 60)]]), [vs], 'by its beginning');
    });
  });
}

function search(store: ResourceStore, params: Array<[string, string]>, type = 'Patient'): Promise<Bundle> {
  return searchInteraction({
    store,
    resourceTypes: [type],
    params,
    baseUrl: 'http://nilecare.test/fhir',
    access: FULL_ACCESS,
    handling: 'strict',
  });
}
