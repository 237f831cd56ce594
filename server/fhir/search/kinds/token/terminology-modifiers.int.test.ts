/**
 * Token :in, :not-in, :above and :below over HTTP on every store (PGlite, the PostgreSQL server, MongoDB on mingo in
 * process), against an independent oracle: the expected ids are computed here by plain filtering of the test's
 * Observations with the codes $expand gives (or, for :above, the ancestors walked in the test's own concept tree).
 * A code system whose concepts were uploaded into the store's concept table ($upload-concepts) is searched the same
 * way; there the oracle is the test's own walk of its generated tree.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pgliteTestStore, postgresTestStore } from '../../../../store/postgres/testing/test-stores.js';
import { mongoTestStore } from '../../../../store/mongo/testing/test-stores.js';
import type { StoreFactory } from '../../../../store/testing/store-contract.js';
import { generatedConcepts } from '../../../terminology/testing/generated-code-system.js';
import { startTestServer, type TestServer } from '../../../../testing/test-server.js';
import { prepareVersion } from '../../../interactions/commit-version.js';
import type { ResourceStore } from '../../../../store/resource-store.js';

type Json = Record<string, any>;
const CS = 'http://example.org/cs/body-site';
const OTHER = 'http://example.org/cs/other';
const VS = 'http://example.org/vs/left-side';
type Node = { code: string; concept?: Node[] };
const TREE: Node[] = [
  { code: 'A', concept: [{ code: 'A1', concept: [{ code: 'A1a' }, { code: 'A1b' }] }, { code: 'A2' }] },
  { code: 'B', concept: [{ code: 'B1' }, { code: 'B,2|x' }] },
];
const codings: Array<Array<{ system: string; code: string }>> = [
  [{ system: CS, code: 'A' }],
  [{ system: CS, code: 'A1' }],
  [{ system: CS, code: 'A1a' }],
  [{ system: CS, code: 'A1b' }],
  [
    { system: CS, code: 'A2' },
    { system: OTHER, code: 'Z' },
  ],
  [{ system: CS, code: 'B1' }],
  [{ system: CS, code: 'B,2|x' }],
  [{ system: OTHER, code: 'A1' }],
  [{ system: OTHER, code: 'Z' }],
];

const toConcept = (n: Node): Json => ({
  code: n.code,
  display: n.code,
  ...(n.concept ? { concept: n.concept.map(toConcept) } : {}),
});
function ancestorsInTree(code: string, nodes: Node[] = TREE, path: string[] = []): string[] | undefined {
  for (const n of nodes) {
    if (n.code === code) return path;
    const found = ancestorsInTree(code, n.concept ?? [], [...path, n.code]);
    if (found) return found;
  }
  return undefined;
}
const esc = (s: string) => s.replace(/[\\,|$]/g, (c) => `\\${c}`);

for (const [name, factory] of [
  ['pglite', pgliteTestStore],
  ['postgres', postgresTestStore],
  ['mongo (mingo, in process)', mongoTestStore],
] as Array<[string, StoreFactory]>)
  describe(`token :in, :not-in, :above, :below (${name})`, () => {
    let server: TestServer;
    let store: ResourceStore;
    let dispose: (() => Promise<void>) | undefined;
    const ids: string[] = [];
    before(async () => {
      const opened = await factory();
      dispose = async () => {
        // the test server does not close a store it was given; an open PGlite keeps the process alive
        await opened.store.close().catch(() => undefined);
        await opened.dispose();
      };
      store = opened.store;
      server = await startTestServer(opened.store);
      const put = async (r: Json) => {
        const res = await server.fhir(r.resourceType, { method: 'POST', body: r });
        assert.equal(res.status, 201, res.text);
        return res.body.id as string;
      };
      await put({
        resourceType: 'CodeSystem',
        url: CS,
        status: 'active',
        content: 'complete',
        hierarchyMeaning: 'is-a',
        concept: TREE.map(toConcept),
      });
      await put({
        resourceType: 'ValueSet',
        url: VS,
        status: 'active',
        compose: {
          include: [
            { system: CS, filter: [{ property: 'concept', op: 'is-a', value: 'A1' }] },
            { system: CS, concept: [{ code: 'B,2|x' }] },
            { system: OTHER, concept: [{ code: 'Z' }] },
          ],
          exclude: [{ system: CS, concept: [{ code: 'A1b' }] }],
        },
      });
      for (const coding of codings)
        ids.push(await put({ resourceType: 'Observation', status: 'final', code: { coding } }));
    });
    after(async () => {
      await server?.close();
      await dispose?.();
    });

    const search = async (query: string) => {
      const res = await server.fhir(`Observation?${query}&_count=100`);
      assert.equal(res.status, 200, res.text);
      return (res.body.entry ?? []).map((e: Json) => e.resource.id as string).sort();
    };
    const expanded = async (url: string) => {
      const res = await server.fhir(`ValueSet/$expand?url=${encodeURIComponent(url)}`);
      assert.equal(res.status, 200, res.text);
      return new Set<string>(res.body.expansion.contains.map((c: Json) => `${c.system}|${c.code}`));
    };
    const having = (set: Set<string>, some: boolean) =>
      ids.filter((_, i) => codings[i]!.some((c) => set.has(`${c.system}|${c.code}`)) === some).sort();

    it(':in and :not-in match the codes of the expansion (and nothing else)', async () => {
      const set = await expanded(VS);
      assert.ok(set.size >= 3);
      const inSet = having(set, true);
      assert.ok(inSet.length > 0 && inSet.length < ids.length, 'the oracle splits the resources');
      assert.deepEqual(await search(`code:in=${encodeURIComponent(VS)}`), inSet);
      assert.deepEqual(await search(`code:not-in=${encodeURIComponent(VS)}`), having(set, false));
    });

    it(':below is the code and its descendants, :above the code and its ancestors, in that system only', async () => {
      const below = await expanded(`${CS}?fhir_vs=isa/A1`);
      assert.deepEqual(await search(`code:below=${encodeURIComponent(`${CS}|A1`)}`), having(below, true));
      const above = new Set([...ancestorsInTree('A1a')!, 'A1a'].map((c) => `${CS}|${c}`));
      assert.deepEqual(await search(`code:above=${encodeURIComponent(`${CS}|A1a`)}`), having(above, true));
      const odd = new Set([`${CS}|B,2|x`, `${CS}|B`]);
      assert.deepEqual(await search(`code:above=${encodeURIComponent(`${CS}|${esc('B,2|x')}`)}`), having(odd, true));
    });

    it('an unknown value set or code system is a 400 naming it', async () => {
      const vs = await server.fhir(`Observation?code:in=${encodeURIComponent('http://example.org/vs/none')}`);
      assert.equal(vs.status, 400, vs.text);
      assert.match(vs.text, /http:\/\/example\.org\/vs\/none/);
      const cs = await server.fhir(`Observation?code:below=${encodeURIComponent('http://example.org/cs/none|A')}`);
      assert.equal(cs.status, 400, cs.text);
      assert.match(cs.text, /http:\/\/example\.org\/cs\/none/);
      const bad = await server.fhir(`Observation?code:below=A1`);
      assert.equal(bad.status, 400, bad.text);
    });

    it('an edit of the code system by another app instance (written straight into the store) is used by the next search', async () => {
      // the hierarchy is kept in memory per CodeSystem version; each search checks the current version in the store
      const url = 'http://example.org/cs/edited';
      const cs = (concept: Json[]) => ({
        resourceType: 'CodeSystem',
        id: 'edited',
        url,
        status: 'active',
        content: 'complete',
        hierarchyMeaning: 'is-a',
        concept,
      });
      const put = await server.fhir('CodeSystem/edited', {
        method: 'PUT',
        body: cs([{ code: 'X', concept: [{ code: 'X1' }] }]),
      });
      assert.equal(put.status, 201, put.text);
      const made = new Map<string, string>();
      for (const code of ['X', 'X1', 'X2']) {
        const res = await server.fhir('Observation', {
          method: 'POST',
          body: { resourceType: 'Observation', status: 'final', code: { coding: [{ system: url, code }] } },
        });
        assert.equal(res.status, 201, res.text);
        made.set(code, res.body.id as string);
      }
      const below = () => search(`code:below=${encodeURIComponent(`${url}|X`)}`);
      const ids = (...codes: string[]) => codes.map((c) => made.get(c)!).sort();
      assert.deepEqual(await below(), ids('X', 'X1'));
      assert.deepEqual(await below(), ids('X', 'X1'), 'asked again (held in memory)');
      const services = server.app.services;
      const v1 = await store.read('CodeSystem', 'edited');
      await store.write([
        prepareVersion(
          services,
          'CodeSystem',
          'edited',
          cs([{ code: 'X', concept: [{ code: 'X1' }, { code: 'X2' }] }]) as never,
          v1!.versionId,
        ),
      ]);
      assert.deepEqual(await below(), ids('X', 'X1', 'X2'), 'the new version, without a restart');
      await store.write([prepareVersion(services, 'CodeSystem', 'edited', null, v1!.versionId + 1)]);
      const gone = await server.fhir(`Observation?code:below=${encodeURIComponent(`${url}|X`)}`);
      assert.equal(gone.status, 400, 'a deleted code system is unknown');
      assert.match(gone.text, /cs\/edited/);
    });

    it('an expansion too large to search with is refused with a clear message', async () => {
      const res = await server.fhir(
        `Observation?code:in=${encodeURIComponent('http://terminology.hl7.org/CodeSystem/v3-ActCode?fhir_vs')}`,
      );
      assert.ok(res.status === 422 || res.status === 400, res.text);
      assert.match(res.text, /more than \d+ codes/);
    });

    it(':below and :above on a code system held in the concept table (uploaded), against the generated tree', async () => {
      // generatedConcepts: C0 … C{n-1}, each Cn (n >= 10) below C{floor(n/10)}
      const url = 'http://example.org/cs/uploaded';
      const header = { resourceType: 'CodeSystem', id: 'uploaded', url, status: 'active', content: 'not-present' };
      assert.equal((await server.fhir('CodeSystem/uploaded', { method: 'PUT', body: header })).status, 201);
      const up = await server.fhir('CodeSystem/uploaded/$upload-concepts', {
        method: 'POST',
        body: { ...header, concept: generatedConcepts(500) },
      });
      assert.equal(up.status, 200, up.text);
      const codes = ['C1', 'C12', 'C123', 'C13', 'C2', 'C21', 'C3', 'C4', 'C45', 'C499'];
      const made: Array<[string, string]> = [];
      for (const code of codes) {
        const res = await server.fhir('Observation', {
          method: 'POST',
          body: { resourceType: 'Observation', status: 'final', code: { coding: [{ system: url, code }] } },
        });
        assert.equal(res.status, 201, res.text);
        made.push([res.body.id as string, code]);
      }
      const isUnder = (code: string, top: string) => code === top || (code.startsWith(top) && code.length > top.length);
      const got = async (q: string) => (await search(q)).filter((id: string) => made.some(([m]) => m === id));
      const want = (test: (code: string) => boolean) =>
        made
          .filter(([, c]) => test(c))
          .map(([id]) => id)
          .sort();
      for (const top of ['C1', 'C12', 'C4', 'C499'])
        assert.deepEqual(
          await got(`code:below=${encodeURIComponent(`${url}|${top}`)}`),
          want((c) => isUnder(c, top)),
        );
      assert.deepEqual(
        await got(`code:above=${encodeURIComponent(`${url}|C123`)}`),
        want((c) => isUnder('C123', c)),
      );
    });
  });
