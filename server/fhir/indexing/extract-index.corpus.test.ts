/**
 * Extraction over third-party data: every Synthea resource (corpus synthea/) and every
 * official example (corpus extras/) is indexed without throwing into well-formed entries,
 * and a sample is checked parameter by parameter against HL7's fhirpath.js evaluating the same
 * expressions (see testing/corpus-oracle.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { extractIndex, extractIndexWithoutFastPaths } from './extract-index.js';
import { unionMembers } from './union-params.js';
import { entryKey } from './dedupe.js';
import type { IndexEntry } from './index-entry.js';
import { listSearchParameters } from './search-parameter-registry.js';
import {
  entrySignatures,
  evaluateRelative,
  evaluateWithFhirpathJs,
  nodeSignatures,
  phoneticSignatures,
} from './testing/corpus-oracle.js';
import { textHandlingOf } from './text/name-parameters.js';
import { corpusMissing, corpusPath } from '../../testing/corpus.js';

const SYNTHEA = corpusPath('synthea');
const EXTRAS = corpusPath('extras');
const skip = corpusMissing(SYNTHEA, EXTRAS);

/**
 * Known, explained differences. FHIRPath's union (`a | b`) removes "equal" items, and both Medplum and
 * fhirpath.js compare decimals loosely enough that the spec example's 1e-245 disappears next to other tiny
 * values; the compiled fast path keeps every value, which is what a search on it needs. And `where(resolve() is
 * Patient)` on an absolute RESTful URL (QuestionnaireResponse/bb's subject `http://hl7.org/fhir/Patient/1`): the
 * fast path gives it type Patient, as resolving that URL would, where Medplum's offline resolve() and the oracle's
 * rewrite (`reference.startsWith('Patient/')`) drop it (fast-path.ts).
 */
const KNOWN_DIFFERENCES: Record<string, string[]> = {
  'Observation/decimal': ['combo-value-quantity', 'component-value-quantity'],
  'QuestionnaireResponse/bb': ['patient'],
};

function known(resource: Resource, param: string): boolean {
  return KNOWN_DIFFERENCES[`${resource.resourceType}/${resource.id}`]?.includes(param) ?? false;
}

function jsonFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? jsonFiles(path) : name.endsWith('.json') ? [path] : [];
  });
}

function resourcesOf(json: Resource): Resource[] {
  if (json.resourceType !== 'Bundle') return [json];
  const inner = (json.entry ?? []).map((e) => e.resource).filter((r): r is Resource => !!r);
  return [json, ...inner.flatMap(resourcesOf)];
}

function load(dir: string): Resource[] {
  return jsonFiles(dir).flatMap((file) => {
    const json = JSON.parse(readFileSync(file, 'utf8')) as Resource;
    return json && typeof json === 'object' && 'resourceType' in json ? resourcesOf(json) : [];
  });
}

function assertWellFormed(entry: IndexEntry, where: string): void {
  const msg = `${where} ${JSON.stringify(entry)}`;
  assert.ok(typeof entry.param === 'string' && entry.param.length > 0, msg);
  switch (entry.kind) {
    case 'string': {
      // _content rows keep words only: their exact is empty by design (extract-content.ts)
      assert.ok(entry.value.length > 0 && (entry.exact.length > 0 || entry.param === '_content'), msg);
      return;
    }
    case 'token': {
      assert.ok(entry.code !== null || entry.system !== null || !!entry.text, msg);
      return;
    }
    case 'date':
    case 'number': {
      assert.ok(Number.isFinite(entry.low) && Number.isFinite(entry.high) && entry.low <= entry.high, msg);
      return;
    }
    case 'quantity': {
      assert.ok(Number.isFinite(entry.value) && entry.low <= entry.value && entry.value <= entry.high, msg);
      return;
    }
    case 'reference': {
      assert.ok(entry.url !== null || entry.targetId !== null || !!entry.identifierValue, msg);
      return;
    }
    case 'uri': {
      assert.ok(entry.value.length > 0, msg);
      return;
    }
    case 'composite':
      assert.ok(entry.parts.length > 0, msg);
      for (const part of entry.parts) assertWellFormed(part, where);
  }
}

/** Oracle signatures of one parameter on one resource, or undefined when the oracle cannot model it. */
function expected(resource: Resource, info: ReturnType<typeof listSearchParameters>[number]): Set<string> | undefined {
  const nodes = evaluateWithFhirpathJs(resource.resourceType, info, resource);
  if (!nodes) return undefined;
  const out = new Set<string>();
  for (const node of nodes) {
    if (info.kind === 'composite') {
      const perComponent: string[][] = [];
      for (const c of info.components ?? []) {
        const values = evaluateRelative(node, c.expression);
        if (!values) return undefined;
        const sigs = values.map((v) => nodeSignatures(c.kind, v));
        if (sigs.some((s) => s === undefined)) return undefined;
        perComponent.push([...new Set(sigs.flat() as string[])]);
      }
      let tuples: string[] = [''];
      for (const sigs of perComponent) tuples = tuples.flatMap((t) => sigs.map((s) => (t ? `${t} & ${s}` : s)));
      if (perComponent.every((s) => s.length > 0)) for (const t of tuples) out.add(t);
      continue;
    }
    const sigs = textHandlingOf(info.url) === 'phonetic' ? phoneticSignatures(node) : nodeSignatures(info.kind, node);
    if (sigs === undefined) return undefined;
    for (const s of sigs) out.add(s);
  }
  return out;
}

describe('extractIndex over the Synthea and example corpora', { skip }, () => {
  const synthea = skip ? [] : load(SYNTHEA);
  const extras = skip ? [] : load(EXTRAS);

  it('indexes every resource without throwing, into well-formed entries', (t) => {
    assert.ok(synthea.length > 9000, `synthea resources: ${synthea.length}`);
    assert.ok(extras.length > 300, `example resources: ${extras.length}`);
    let entries = 0;
    for (const resource of [...synthea, ...extras]) {
      const index = extractIndex(resource);
      entries += index.entries.length;
      for (const entry of index.entries) assertWellFormed(entry, `${resource.resourceType}/${resource.id}`);
    }
    assert.ok(entries > 100000, `entries: ${entries}`);
    t.diagnostic(`${synthea.length} Synthea + ${extras.length} example resources → ${entries} entries`);
  });

  it('gives the same entries with the compiled fast paths as with Medplum’s engine alone', (t) => {
    const differences: string[] = [];
    for (const resource of [...synthea, ...extras]) {
      const fast = extractIndex(resource);
      const slow = extractIndexWithoutFastPaths(resource);
      const fastKeys = new Set(fast.entries.map(entryKey));
      const slowKeys = new Set(slow.entries.map(entryKey));
      const onlyFast = fast.entries.filter((e) => !slowKeys.has(entryKey(e)) && !known(resource, e.param));
      const onlySlow = slow.entries.filter((e) => !fastKeys.has(entryKey(e)) && !known(resource, e.param));
      if (onlyFast.length || onlySlow.length) {
        differences.push(
          `${resource.resourceType}/${resource.id}: fast only ${JSON.stringify(onlyFast)} medplum only ${JSON.stringify(onlySlow)}`,
        );
      }
      assert.deepEqual(fast.compartments, slow.compartments);
    }
    t.diagnostic(`${synthea.length + extras.length} resources compared`);
    assert.deepEqual(differences.slice(0, 10), [], `${differences.length} resources differ`);
  });

  it('agrees with fhirpath.js on a sample, parameter by parameter', (t) => {
    const sample = [...extras, ...synthea.filter((_, i) => i % 10 === 0)];
    let compared = 0;
    let withValues = 0;
    const mismatches: string[] = [];
    for (const resource of sample) {
      const ours = extractIndex(resource).entries;
      for (const info of listSearchParameters(resource.resourceType)) {
        if (info.kind === 'special' || !info.expression || info.code === '_text' || known(resource, info.code))
          continue;
        const oracle = expected(resource, info);
        if (!oracle) continue;
        // a union parameter (combo-*) has no entries of its own: its members' entries are what it searches
        const codes = unionMembers(resource.resourceType, info.code) ?? [info.code];
        const mine = new Set(ours.filter((e) => codes.includes(e.param)).flatMap(entrySignatures));
        compared++;
        if (oracle.size > 0) withValues++;
        const missing = [...oracle].filter((s) => !mine.has(s));
        const extra = [...mine].filter((s) => !oracle.has(s));
        if (missing.length || extra.length) {
          mismatches.push(
            `${resource.resourceType}/${resource.id} ${info.code}: missing ${JSON.stringify(missing)} extra ${JSON.stringify(extra)}`,
          );
        }
      }
    }
    t.diagnostic(
      `${sample.length} resources, ${compared} (resource, parameter) pairs compared, ${withValues} with values`,
    );
    assert.ok(compared > 20000 && withValues > 5000, `compared ${compared}, with values ${withValues}`);
    const byParam = new Map<string, number>();
    for (const m of mismatches)
      byParam.set(
        m
          .split(' ')
          .slice(0, 2)
          .map((x, i) => (i === 0 ? x.split('/')[0] : x))
          .join(' '),
        (byParam.get(
          m
            .split(' ')
            .slice(0, 2)
            .map((x, i) => (i === 0 ? x.split('/')[0] : x))
            .join(' '),
        ) ?? 0) + 1,
      );
    assert.deepEqual(
      mismatches.slice(0, 25),
      [],
      `${mismatches.length} mismatches of ${compared}: ${JSON.stringify([...byParam])}`,
    );
  });

  it('puts every clinical resource of a SMART patient bundle in that patient’s compartment', () => {
    const notInCompartment = new Set([
      'Patient',
      'Organization',
      'Practitioner',
      'PractitionerRole',
      'Location',
      'Device',
      'Medication',
    ]);
    const problems: string[] = [];
    let checked = 0;
    for (const file of jsonFiles(join(SYNTHEA, 'smart-r4-2019')).slice(0, 10)) {
      const bundle = JSON.parse(readFileSync(file, 'utf8')) as Bundle;
      if (bundle.type !== 'transaction') continue;
      const ids = new Map(
        (bundle.entry ?? [])
          .filter((e) => e.fullUrl && e.resource)
          .map((e) => [e.fullUrl!, `${e.resource!.resourceType}/${e.resource!.id}`]),
      );
      const text = JSON.stringify(bundle).replace(/"reference":"(urn:uuid:[^"]+)"/g, (m, u: string) =>
        ids.has(u) ? `"reference":"${ids.get(u)}"` : m,
      );
      const resources = ((JSON.parse(text) as Bundle).entry ?? []).map((e) => e.resource!).filter(Boolean);
      const patient = resources.find((r) => r.resourceType === 'Patient');
      if (!patient) continue;
      for (const resource of resources) {
        if (notInCompartment.has(resource.resourceType)) continue;
        checked++;
        const compartments = extractIndex(resource).compartments;
        if (!compartments.includes(`Patient/${patient.id}`))
          problems.push(`${resource.resourceType}/${resource.id}: ${compartments.join(',')}`);
      }
    }
    assert.ok(checked > 1000, `checked ${checked}`);
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} resources outside their patient's compartment`);
  });
});
