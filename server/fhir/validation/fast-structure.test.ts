/**
 * The fast structure path gives exactly @medplum/core's result: for every resource of the Synthea corpus, the
 * official examples and HL7's validator test cases (as read, and with a few faults injected into each Synthea
 * resource), checkStructure() equals checkStructureWithMedplum() — same issues, same values collected for
 * required bindings in the same order — and the fast path is taken for the clean Synthea resources.
 * Corpus folders (server/testing/corpus.ts) are read in place; a missing one is skipped with the reason (CI=true:
 * fails).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { checkStructure, checkStructureWithMedplum } from './structure-check.js';
import { fastStructure } from './fast-structure.js';
import { ensureDefinitions } from './profile-registry.js';
import { corpusMissing, CORPUS_ROOT } from '../../testing/corpus.js';

type Json = Record<string, unknown>;
const CORPUS = CORPUS_ROOT;
const SYNTHEA = [join(CORPUS, 'synthea/fhir-data-pipes-2021'), join(CORPUS, 'synthea/smart-r4-2019')] as const;
const EXAMPLES = ['fhir-r4-core-examples', 'us-core-9.0.0-examples', 'ips-examples'].map((f) =>
  join(CORPUS, 'extras', f),
);
const VALIDATOR = join(CORPUS, 'fhir-test-cases/validator-r4');

function readJsonFiles(dir: string): Json[] {
  const out: Json[] = [];
  for (const f of readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    try {
      const json = JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown;
      if (json && typeof json === 'object' && !Array.isArray(json) && typeof (json as Json).resourceType === 'string')
        out.push(json as Json);
    } catch {
      // not JSON (some validator cases are deliberately malformed): nothing to compare
    }
  }
  return out;
}

function bundleEntries(bundles: Json[]): Json[] {
  return bundles.flatMap((b) =>
    ((b.entry as { resource?: Json }[] | undefined) ?? []).map((e) => e.resource).filter((r): r is Json => !!r),
  );
}

/** Compares both paths on each resource; returns how many took the fast path. */
function assertSame(resources: Json[], label: string): number {
  let fast = 0;
  const differences: string[] = [];
  for (const r of resources) {
    if (fastStructure(r)) fast++;
    const a = checkStructure(r as unknown as Resource);
    const b = checkStructureWithMedplum(r as unknown as Resource);
    try {
      assert.deepStrictEqual(a, b);
    } catch {
      differences.push(`${String(r.resourceType)}/${String(r.id ?? '?')}`);
    }
  }
  console.log(`# ${label}: ${resources.length} resources, ${fast} on the fast path, ${differences.length} differences`);
  assert.deepEqual(differences.slice(0, 20), [], `${label}: fast path and @medplum/core differ`);
  return fast;
}

/** Faults a structure validator must see, injected one at a time into a copy of the resource. */
const FAULTS: Record<string, (r: Json) => void> = {
  unknownProperty: (r) => (r.colour = 'blue'),
  nullValue: (r) => (r.id = null),
  wrongJsonType: (r) => (r.id = 42),
  badId: (r) => (r.id = 'has space'),
  emptyString: (r) => (r.language = ''),
  primitiveExtension: (r) => (r._id = { extension: [{ url: 'http://x', valueString: 'y' }] }),
  arrayForSingle: (r) => (r.meta = [{ versionId: '1' }]),
  badDate: (r) => (r.meta = { lastUpdated: '2020-02-30T00:00:00Z' }),
  emptyObject: (r) => (r.text = {}),
  badNarrative: (r) => (r.text = { status: 'generated' }),
  missingRequired: (r) => {
    for (const key of ['status', 'code', 'subject', 'patient', 'intent', 'type']) delete r[key];
  },
  contained: (r) => (r.contained = [{ resourceType: 'Patient', id: 'c1', gender: 'female' }]),
  containedUnknownType: (r) => (r.contained = [{ resourceType: 'Nonsense', id: 'c1' }]),
  badReference: (r) => {
    for (const key of ['subject', 'patient']) if (r[key]) r[key] = { reference: 'Medication/123' };
  },
  extension: (r) =>
    (r.extension = [
      { url: 'http://example.org/x', valueString: 'v' },
      { url: 'http://example.org/y', valueInteger: 1.5 },
    ]),
  extensionWithValueAndChildren: (r) =>
    (r.extension = [{ url: 'http://x', valueString: 'v', extension: [{ url: 'y', valueString: 'z' }] }]),
  extensionWithNeither: (r) => (r.extension = [{ url: 'http://example.org/x' }]),
  modifierExtension: (r) => (r.modifierExtension = [{ url: 'http://example.org/m', valueBoolean: true }]),
  containedWithVersion: (r) => (r.contained = [{ resourceType: 'Patient', id: 'c2', meta: { versionId: '1' } }]),
  containedWithSecurity: (r) =>
    (r.contained = [{ resourceType: 'Patient', id: 'c2', meta: { security: [{ code: 'R' }] } }]),
  nestedContained: (r) =>
    (r.contained = [{ resourceType: 'Patient', id: 'c3', contained: [{ resourceType: 'Patient', id: 'c4' }] }]),
  valueAndDataAbsentReason: (r) => {
    r.dataAbsentReason = { text: 'unknown' };
    if (r.resourceType === 'Observation' && !Object.keys(r).some((k) => k.startsWith('value'))) r.valueString = 'x';
  },
  valueAndComponentWithSameCode: (r) => {
    if (r.resourceType !== 'Observation') return;
    r.valueString = 'x';
    r.component = [{ code: r.code, valueString: 'y' }];
  },
};

describe('fast structure path equals @medplum/core', () => {
  ensureDefinitions();

  it('Synthea corpus (every resource of both folders)', { skip: corpusMissing(...SYNTHEA) }, () => {
    const resources = bundleEntries(SYNTHEA.flatMap(readJsonFiles));
    assert.ok(resources.length > 9000);
    const fast = assertSame(resources, 'Synthea');
    // The fast path is what makes validation cheap: nearly every clean resource must take it.
    assert.ok(fast / resources.length > 0.95, `only ${fast}/${resources.length} Synthea resources took the fast path`);
  });

  it('Synthea resources with injected faults', { skip: corpusMissing(...SYNTHEA) }, () => {
    const sample = bundleEntries(readJsonFiles(SYNTHEA[0]).slice(0, 3));
    const byType = new Map<string, Json>();
    for (const r of sample) if (!byType.has(String(r.resourceType))) byType.set(String(r.resourceType), r);
    const faulty: Json[] = [];
    for (const r of byType.values()) {
      for (const inject of Object.values(FAULTS)) {
        const copy = structuredClone(r);
        inject(copy);
        faulty.push(copy);
      }
    }
    assertSame(faulty, 'Synthea with faults');
  });

  for (const dir of EXAMPLES) {
    it(`official examples: ${basename(dir)}`, { skip: corpusMissing(dir) }, () => {
      const resources = readJsonFiles(dir);
      assertSame([...resources, ...bundleEntries(resources.filter((r) => r.resourceType === 'Bundle'))], basename(dir));
    });
  }

  it('HL7 validator-r4 test case files', { skip: corpusMissing(VALIDATOR) }, () => {
    assertSame(readJsonFiles(VALIDATOR), 'validator-r4');
  });
});
