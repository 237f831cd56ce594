/**
 * A large code system uploaded into the store's concept table (CodeSystem/[id]/$upload-concepts) answers $expand
 * (text filter, paging, is-a), $lookup, $subsumes and $validate-code like the same concepts held in memory — the
 * in-memory index (MemoryCodeSystem) is the oracle — on PGlite, on the PostgreSQL server and on the MongoDB store
 * (mingo in process: no mongod here).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CodeSystem } from '@medplum/fhirtypes';
import { pgliteTestStore, postgresTestStore } from '../../store/postgres/testing/test-stores.js';
import { mongoTestStore } from '../../store/mongo/testing/test-stores.js';
import type { StoreFactory } from '../../store/testing/store-contract.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { generatedConcepts } from './testing/generated-code-system.js';
import { MemoryCodeSystem } from './memory-code-system.js';
import { COUNT_CAP } from './concept-source.js';

type Json = Record<string, any>;
const URL_ = 'http://example.org/generated';
const SIZE = 3000;
const concepts = generatedConcepts(SIZE);
const oracle = new MemoryCodeSystem({
  resourceType: 'CodeSystem',
  url: URL_,
  status: 'active',
  content: 'complete',
  concept: concepts,
});
const header: CodeSystem = {
  resourceType: 'CodeSystem',
  id: 'generated',
  url: URL_,
  version: '1',
  status: 'active',
  content: 'not-present',
  count: SIZE,
};
const vsOf = (filter?: Json) => ({
  resourceType: 'ValueSet',
  status: 'active',
  compose: { include: [{ system: URL_, ...(filter ? { filter: [filter] } : {}) }] },
});

for (const [name, factory] of [
  ['pglite', pgliteTestStore],
  ['postgres', postgresTestStore],
  ['mongo (mingo, in process)', mongoTestStore],
] as Array<[string, StoreFactory]>) {
  describe(`concept table (${name})`, () => {
    let server: TestServer;
    let dispose: () => Promise<void>;
    before(async () => {
      const opened = await factory();
      // PGlite's factory disposes of nothing, and an open PGlite that ran $upload-concepts keeps a timer (its
      // lock_timeout itimer) that holds the test process open: close the store here as well (twice is harmless)
      dispose = async () => {
        await opened.store.close().catch(() => undefined);
        await opened.dispose();
      };
      server = await startTestServer(opened.store);
      assert.equal((await server.fhir('CodeSystem/generated', { method: 'PUT', body: header })).status, 201);
      const res = await server.fhir('CodeSystem/generated/$upload-concepts', {
        method: 'POST',
        body: { ...header, content: 'complete', concept: concepts },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.parameter[0].valueInteger, SIZE);
    });
    after(async () => {
      await server?.close();
      await dispose?.();
    });

    const expand = async (params: Json, filter?: Json) =>
      server.fhir('ValueSet/$expand', {
        method: 'POST',
        body: {
          resourceType: 'Parameters',
          parameter: [
            { name: 'valueSet', resource: vsOf(filter) },
            ...Object.entries(params).map(([k, v]) =>
              typeof v === 'number' ? { name: k, valueInteger: v } : { name: k, valueString: v },
            ),
          ],
        },
      });

    it('$expand with a text filter pages as the in-memory oracle does', async () => {
      for (const [text, offset] of [
        ['malaria', 0],
        ['acute fev', 5],
        ['SICKLE anaem 1', 0],
        ['zzz', 0],
        ['renal', 400],
        ['c', 0], // every code (C0 … C2999): more matches than COUNT_CAP
        ['c', 2990],
      ] as const) {
        const res = await expand({ filter: text, count: 20, offset });
        assert.equal(res.status, 200, res.text);
        const want = await oracle.search({ text, offset, count: 20 });
        assert.deepEqual(
          res.body.expansion.contains.map((c: Json) => c.code),
          want.concepts.map((c) => c.code),
          text,
        );
        // PostgreSQL/PGlite: a text filter is answered by the word index, with its exact total; the Mongo table
        // counts matches up to COUNT_CAP and leaves a larger total out (a short last page ends it)
        const short = want.concepts.length < 20 && (want.concepts.length > 0 || offset === 0);
        const capped = name.startsWith('mongo') && want.total! > COUNT_CAP && !short;
        const total = capped ? undefined : want.total;
        assert.equal(res.body.expansion.total, total, `total for ${text}`);
      }
    });

    it('$expand of an is-a filter with a text filter, against the oracle', async () => {
      const res = await expand({ filter: 'acute', count: 50 }, { property: 'concept', op: 'is-a', value: 'C12' });
      const want = await oracle.search({ text: 'acute', below: 'C12', includeSelf: true, offset: 0, count: 50 });
      assert.deepEqual(
        res.body.expansion.contains.map((c: Json) => c.code),
        want.concepts.map((c) => c.code),
      );
      assert.equal(res.body.expansion.total, want.total);
    });

    it('$expand without count of the whole large system stays under the cap or is refused, never unbounded', async () => {
      const res = await expand({});
      assert.equal(res.status, 200);
      assert.equal(res.body.expansion.total, SIZE);
    });

    it('$lookup, $subsumes and $validate-code read the table', async () => {
      const lookup = await server.fhir(`CodeSystem/$lookup?system=${URL_}&code=C123`);
      assert.equal(lookup.status, 200, lookup.text);
      assert.equal(lookup.body.parameter.find((p: Json) => p.name === 'display').valueString, concepts[123]!.display);
      const sub = await server.fhir(`CodeSystem/$subsumes?system=${URL_}&codeA=C1&codeB=C1234`);
      assert.equal(sub.body.parameter[0].valueCode, 'subsumes');
      const valid = await server.fhir(`CodeSystem/$validate-code?url=${URL_}&code=C2999`);
      assert.equal(valid.body.parameter[0].valueBoolean, true);
      const invalid = await server.fhir(`CodeSystem/$validate-code?url=${URL_}&code=C3000`);
      assert.equal(invalid.body.parameter[0].valueBoolean, false);
    });

    it('refuses a repeated code, a CodeSystem that holds its own concepts, and another url', async () => {
      const dup = await server.fhir('CodeSystem/generated/$upload-concepts', {
        method: 'POST',
        body: { ...header, concept: [{ code: 'X' }, { code: 'X' }] },
      });
      assert.equal(dup.status, 400);
      const still = await server.fhir(`CodeSystem/$validate-code?url=${URL_}&code=C5`);
      assert.equal(still.body.parameter[0].valueBoolean, true, 'a refused upload leaves the table as it was');
      await server.fhir('CodeSystem/small', {
        method: 'PUT',
        body: {
          ...header,
          id: 'small',
          url: 'http://example.org/small',
          content: 'complete',
          concept: [{ code: 'a' }],
        },
      });
      const complete = await server.fhir('CodeSystem/small/$upload-concepts', {
        method: 'POST',
        body: { resourceType: 'CodeSystem', concept: [{ code: 'b' }] },
      });
      assert.equal(complete.status, 409);
      const other = await server.fhir('CodeSystem/generated/$upload-concepts', {
        method: 'POST',
        body: { ...header, url: 'http://other', concept: [{ code: 'b' }] },
      });
      assert.equal(other.status, 400);
    });

    it('a new upload replaces what the text filter finds (no stale word index)', async () => {
      const before = await expand({ filter: 'renal', count: 5 });
      assert.ok(before.body.expansion.contains.length > 0, before.text);
      const again = await server.fhir('CodeSystem/generated/$upload-concepts', {
        method: 'POST',
        body: {
          ...header,
          concept: [
            { code: 'Z1', display: 'Zebra renal stripe' },
            { code: 'Z2', display: 'Zebu' },
          ],
        },
      });
      assert.equal(again.status, 200, again.text);
      const renal = await expand({ filter: 'renal', count: 5 });
      assert.deepEqual(
        renal.body.expansion.contains.map((c: Json) => c.code),
        ['Z1'],
      );
      assert.equal(renal.body.expansion.total, 1);
      const zeb = await expand({ filter: 'ZEB', count: 5 });
      assert.deepEqual(
        zeb.body.expansion.contains.map((c: Json) => c.code),
        ['Z1', 'Z2'],
      );
    });
  });
}
