/**
 * Where validation finds profiles and terminology: the NileCare definitions under profiles/ (loaded by
 * loadDefinitions()) plus any registered at run time (a `$validate` caller's or a test's supporting
 * StructureDefinitions, ValueSets and CodeSystems).
 */
import { indexStructureDefinitionBundle } from '@medplum/core';
import type { CodeSystem, Resource, StructureDefinition, ValueSet } from '@medplum/fhirtypes';
import { loadDefinitions } from '../definitions.js';
import { applyR4Errata } from './r4-errata.js';
import { registerTerminology } from './value-set-index.js';

const extraProfiles = new Map<string, StructureDefinition>();
let initialised = false;

/** Loads the R4 definitions and profiles/ once (idempotent). */
export function ensureDefinitions(): void {
  if (initialised) return;
  const defs = loadDefinitions();
  applyR4Errata();
  registerTerminology(
    defs.otherProfileResources.filter((r): r is ValueSet | CodeSystem => r.resourceType === 'ValueSet' || r.resourceType === 'CodeSystem'),
  );
  initialised = true;
}

/**
 * Makes StructureDefinitions, ValueSets and CodeSystems available to validation (and StructureDefinitions to
 * @medplum/core's registry, so that element types and extensions they name resolve).
 */
export function registerConformanceResources(resources: readonly Resource[]): void {
  ensureDefinitions();
  const sds = resources.filter((r): r is StructureDefinition => r.resourceType === 'StructureDefinition' && !!r.url);
  for (const sd of sds) extraProfiles.set(canonical(sd.url!), sd);
  const withSnapshot = sds.filter((sd) => sd.snapshot?.element?.length);
  if (withSnapshot.length > 0) indexStructureDefinitionBundle(withSnapshot);
  registerTerminology(resources.filter((r): r is ValueSet | CodeSystem => r.resourceType === 'ValueSet' || r.resourceType === 'CodeSystem'));
}

/** The StructureDefinition of a profile canonical (a `|version` suffix is ignored), if loaded. */
export function findProfile(url: string): StructureDefinition | undefined {
  ensureDefinitions();
  const key = canonical(url);
  return extraProfiles.get(key) ?? loadDefinitions().profiles.get(key);
}

function canonical(url: string): string {
  const bar = url.indexOf('|');
  return bar < 0 ? url : url.slice(0, bar);
}
