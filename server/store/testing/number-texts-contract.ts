/**
 * Shared store suite (every ResourceStore runs it from its *.int.test.ts): the text of every number goes through
 * the store as written — read, vread, readMany, readCurrentMany, history and search — over every resource of the
 * official examples, the fhir-test-cases JSON inputs and the Synthea corpus (each read with server/json, written
 * as version 1). Expected texts are taken from the files with JSON.parse's own source text access.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { parseJson } from '../../json/parse-json.js';
import { stringifyJson } from '../../json/stringify-json.js';
import {
  alteredByPlainJson,
  differingNumbers,
  jsonFiles,
  numbersByPath,
  OFFICIAL_EXAMPLE_FOLDERS,
  SYNTHEA_FOLDERS,
  TEST_CASE_FOLDERS,
} from '../../json/testing/corpus-json.js';
import { corpusMissing } from '../../testing/corpus.js';
import type { StoreFactory } from './store-contract.js';
import type { ResourceStore, StoredVersion, VersionWrite } from '../resource-store.js';

type Case = { resource: Resource; expected: Map<string, string>; where: string };

const notMeta = (path: string) => path === 'meta' || path.startsWith('meta.');

/** Each resource of the files with the number texts written in the file (a transaction's entries one by one). */
function casesOf(folders: string[]): { cases: Case[]; unreadable: number } {
  const cases: Case[] = [];
  let unreadable = 0;
  for (const { path, text } of jsonFiles(folders)) {
    let value: unknown;
    let numbers: Map<string, string>;
    try {
      value = parseJson(text);
      numbers = numbersByPath(text);
    } catch {
      unreadable++; // the fhir-test-cases keep malformed JSON on purpose
      continue;
    }
    const root = value as { resourceType?: unknown; type?: unknown; entry?: Array<{ resource?: Resource }> };
    if (typeof root?.resourceType !== 'string') continue;
    const isLoad = root.resourceType === 'Bundle' && (root.type === 'transaction' || root.type === 'batch');
    if (!isLoad) {
      cases.push({ resource: root as Resource, expected: without(numbers, notMeta), where: path });
      continue;
    }
    (root.entry ?? []).forEach((entry, i) => {
      if (!entry?.resource || typeof entry.resource.resourceType !== 'string') return;
      const prefix = `entry.${i}.resource.`;
      const own = new Map<string, string>();
      for (const [p, t] of numbers)
        if (p.startsWith(prefix) && !notMeta(p.slice(prefix.length))) own.set(p.slice(prefix.length), t);
      cases.push({ resource: entry.resource, expected: own, where: `${path} entry ${i}` });
    });
  }
  return { cases, unreadable };
}

function without(numbers: Map<string, string>, skip: (p: string) => boolean): Map<string, string> {
  return new Map([...numbers].filter(([p]) => !skip(p)));
}

function writeOf(resource: Resource, id: string, versionId = 1): VersionWrite {
  const lastUpdated = new Date(Date.UTC(2024, 0, 1) + versionId * 1000).toISOString();
  const stamped = {
    ...resource,
    id,
    meta: { ...resource.meta, versionId: String(versionId), lastUpdated },
  } as Resource;
  return {
    resourceType: resource.resourceType,
    id,
    versionId,
    lastUpdated,
    resource: stamped,
    index: { entries: [], compartments: [] },
  };
}

function textsOf(version: StoredVersion | undefined): Map<string, string> {
  assert.ok(version?.resource, 'read back');
  return numbersByPath(stringifyJson(version.resource), notMeta);
}

export function describeNumberTextsContract(label: string, factory: StoreFactory): void {
  describe(`decimal texts through the store: ${label}`, () => {
    let store: ResourceStore;
    let dispose: () => Promise<void>;
    before(async () => {
      ({ store, dispose } = await factory());
      await store.init();
    });
    after(async () => {
      await store?.close();
      await dispose?.();
    });

    it('every number of the official examples, fhir-test-cases and Synthea comes back as written', async (t) => {
      const missing = corpusMissing(...OFFICIAL_EXAMPLE_FOLDERS, ...TEST_CASE_FOLDERS, ...SYNTHEA_FOLDERS);
      if (missing) {
        t.skip(missing);
        return;
      }
      const { cases, unreadable } = casesOf([...OFFICIAL_EXAMPLE_FOLDERS, ...TEST_CASE_FOLDERS, ...SYNTHEA_FOLDERS]);
      const ids = cases.map((_, i) => `nt${i}`);
      const written: number[] = [];
      for (let start = 0; start < cases.length; start += 250) {
        const slice = cases.slice(start, start + 250).map((c, k) => ({ c, i: start + k }));
        try {
          await store.write(slice.map(({ c, i }) => writeOf(c.resource, ids[i]!)));
          written.push(...slice.map(({ i }) => i));
        } catch {
          for (const { c, i } of slice) {
            // a resource a store refuses on its own terms (e.g. Mongo's "$" keys) is left out, and counted
            await store.write([writeOf(c.resource, ids[i]!)]).then(
              () => written.push(i),
              () => undefined,
            );
          }
        }
      }
      const failures: string[] = [];
      let numbers = 0;
      let altered = 0;
      for (let start = 0; start < written.length; start += 500) {
        const batch = written.slice(start, start + 500);
        const keys = batch.map((i) => ({ resourceType: cases[i]!.resource.resourceType, id: ids[i]! }));
        const got = new Map((await store.readMany(keys)).map((v) => [`${v.resourceType}/${v.id}`, v]));
        for (const i of batch) {
          const c = cases[i]!;
          numbers += c.expected.size;
          altered += alteredByPlainJson(c.expected.values());
          const diff = differingNumbers(c.expected, textsOf(got.get(`${c.resource.resourceType}/${ids[i]}`)));
          if (diff.length > 0) failures.push(`${c.where}: ${diff.slice(0, 3).join('; ')}`);
        }
      }
      // the other read paths, on every resource that has a text String() would not give
      const special = written.filter((i) => alteredByPlainJson(cases[i]!.expected.values()) > 0);
      for (const i of special) {
        const c = cases[i]!;
        const type = c.resource.resourceType;
        const reads = {
          read: await store.read(type, ids[i]!),
          vread: await store.vread(type, ids[i]!, 1),
          current: (await store.readCurrentMany([{ resourceType: type, id: ids[i]! }]))[0],
          history: (await store.history({ resourceType: type, id: ids[i]!, count: 5 })).versions[0],
          search: (
            await store.search({
              resourceTypes: [type],
              conditions: [{ kind: 'id', values: [ids[i]!] }],
              sort: [],
              count: 5,
              total: 'none',
            } as never)
          ).entries[0],
        };
        for (const [how, version] of Object.entries(reads)) {
          const diff = differingNumbers(c.expected, textsOf(version));
          if (diff.length > 0) failures.push(`${c.where} (${how}): ${diff.slice(0, 3).join('; ')}`);
        }
      }
      console.log(
        `# ${label}: ${written.length} of ${cases.length} resources stored (${unreadable} files not JSON on purpose); ` +
          `${numbers} numbers, ${altered} written other than String() gives (a plain JSON round trip alters them); ` +
          `${failures.length} resources with a number not as written; read paths checked on ${special.length} resources`,
      );
      assert.ok(written.length > cases.length * 0.99, `stored ${written.length} of ${cases.length}`);
      assert.ok(altered > 100, 'the corpus has decimals such as 1.50 and 6.0');
      assert.deepEqual(failures.slice(0, 20), []);
    });

    it('an update keeps the texts of unchanged values, a changed value loses its text, history keeps both', async () => {
      const v1 = parseJson(
        '{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50},"component":[{"code":{"text":"c"},"valueQuantity":{"value":6.0}}]}',
      ) as Resource & { valueQuantity: { value: number } };
      await store.write([writeOf(v1, 'nt-update', 1)]);
      const v2 = { ...v1, valueQuantity: { ...v1.valueQuantity, value: 1.75 } } as Resource;
      await store.write([writeOf(v2, 'nt-update', 2)]);
      const current = await store.read('Observation', 'nt-update');
      assert.match(stringifyJson(current?.resource), /"valueQuantity":\{"value":1\.75\}/);
      assert.match(stringifyJson(current?.resource), /"value":6\.0\}/);
      assert.match(stringifyJson((await store.vread('Observation', 'nt-update', 1))?.resource), /"value":1\.50\}/);
    });
  });
}
