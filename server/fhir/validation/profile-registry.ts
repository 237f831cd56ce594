/**
 * Where validation finds profiles and terminology: the NileCare definitions under profiles/ (loaded by
 * loadDefinitions()) plus any registered at run time (a `$validate` caller's or a test's supporting
 * StructureDefinitions, ValueSets and CodeSystems).
 */
import { indexStructureDefinitionBundle, LRUCache } from '@medplum/core';
import type { CodeSystem, Questionnaire, Resource, StructureDefinition, ValueSet } from '@medplum/fhirtypes';
import { loadDefinitions } from '../definitions.js';
import { clearRegisteredExtensions, registerExtensionDefinitions } from './extension-rules.js';
import { applyR4Errata } from './r4-errata.js';
import { coreDefinition, withSnapshot } from './snapshot.js';
import { clearRegisteredTerminology, registerTerminology } from './value-set-index.js';

const extraProfiles = new Map<string, StructureDefinition>();
const snapshots = new Map<string, StructureDefinition>();
/** Questionnaires by canonical URL (for QuestionnaireResponse checks). */
const questionnaires = new Map<string, Questionnaire>();

export function findQuestionnaire(url: string): Questionnaire | undefined {
  ensureDefinitions();
  return questionnaires.get(canonical(url));
}

/** ImplementationGuide.global: profiles every resource of a type must conform to. */
const globalProfiles = new Map<string, string[]>();

/** The profiles that registered ImplementationGuides declare global for this resource type. */
export function globalProfilesFor(resourceType: string): readonly string[] {
  return globalProfiles.get(resourceType) ?? [];
}
let initialised = false;

/** Loads the R4 definitions and profiles/ once (idempotent). */
export function ensureDefinitions(): void {
  if (initialised) return;
  const defs = loadDefinitions();
  applyR4Errata();
  registerTerminology(
    defs.otherProfileResources.filter(
      (r): r is ValueSet | CodeSystem => r.resourceType === 'ValueSet' || r.resourceType === 'CodeSystem',
    ),
  );
  for (const r of defs.otherProfileResources)
    if (r.resourceType === 'Questionnaire' && r.url) questionnaires.set(canonical(r.url), r);
  initialised = true;
}

/**
 * Makes StructureDefinitions, ValueSets, CodeSystems and ImplementationGuides (their `global` profiles)
 * available to validation (and StructureDefinitions to
 * @medplum/core's registry, so that element types and extensions they name resolve).
 */
export function registerConformanceResources(resources: readonly Resource[]): void {
  ensureDefinitions();
  const sds = resources.filter((r): r is StructureDefinition => r.resourceType === 'StructureDefinition' && !!r.url);
  for (const sd of sds) {
    extraProfiles.set(canonical(sd.url), sd);
    snapshots.delete(canonical(sd.url));
  }
  const withSnapshot = sds.filter((sd) => sd.snapshot?.element?.length);
  registerExtensionDefinitions(withSnapshot);
  if (withSnapshot.length > 0) safeIndex(withSnapshot);
  for (const r of resources) if (r.resourceType === 'Questionnaire' && r.url) questionnaires.set(canonical(r.url), r);
  for (const r of resources) {
    if (r.resourceType !== 'ImplementationGuide') continue;
    for (const g of r.global ?? [])
      if (g.type && g.profile) globalProfiles.set(g.type, [...(globalProfiles.get(g.type) ?? []), g.profile]);
  }
  registerTerminology(
    resources.filter(
      (r): r is ValueSet | CodeSystem => r.resourceType === 'ValueSet' || r.resourceType === 'CodeSystem',
    ),
  );
}

/** Forgets everything registered with registerConformanceResources() (profiles/ stays loaded). */
export function clearRegisteredConformance(): void {
  extraProfiles.clear();
  snapshots.clear();
  globalProfiles.clear();
  questionnaires.clear();
  clearRegisteredTerminology();
  clearRegisteredExtensions();
  initialised = false;
  ensureDefinitions(); // re-registers the ValueSets / CodeSystems of profiles/
}

/**
 * The StructureDefinition of a profile canonical (a `|version` suffix is ignored) with a snapshot: from
 * profiles/, from those registered, or a core R4 profile (vitalsigns, bodytemp …). A differential-only profile
 * gets a generated snapshot (snapshot.ts), cached.
 */
export function findProfile(url: string): StructureDefinition | undefined {
  ensureDefinitions();
  const key = canonical(url);
  const cached = snapshots.get(key);
  if (cached) return cached;
  const raw = findRaw(key) ?? coreProfile(key);
  if (!raw) return undefined;
  const complete = withSnapshot(raw, findRaw) ?? raw;
  if (complete !== raw) safeIndex([complete]);
  snapshots.set(key, complete);
  return complete;
}

/** Client-made profiles made ready (snapshot, @medplum/core index) by version; a small LRU. */
const storedReady = new LRUCache<StructureDefinition>(64);

/**
 * A client-made StructureDefinition (from the store) ready to validate against: its snapshot, or one generated from
 * its differential; made once per version (a new version of the profile is a new key, so an edit takes effect).
 */
export function storedProfile(sd: StructureDefinition): StructureDefinition {
  ensureDefinitions();
  const key = `${sd.url}|${sd.id}/${sd.meta?.versionId}/${sd.meta?.lastUpdated}`;
  const hit = storedReady.get(key);
  if (hit) return hit;
  const complete = sd.snapshot?.element?.length ? sd : (withSnapshot(sd, findRaw) ?? sd);
  if (complete.snapshot?.element?.length) safeIndex([complete]);
  storedReady.set(key, complete);
  return complete;
}

function findRaw(url: string): StructureDefinition | undefined {
  const key = canonical(url);
  return extraProfiles.get(key) ?? loadDefinitions().profiles.get(key);
}

/** Core profiles only (derivation constraint), not the base resource definitions themselves. */
function coreProfile(url: string): StructureDefinition | undefined {
  const sd = coreDefinition(url);
  return sd?.derivation === 'constraint' ? sd : undefined;
}

function canonical(url: string): string {
  const bar = url.indexOf('|');
  return bar < 0 ? url : url.slice(0, bar);
}

/**
 * Registers with @medplum/core one by one; a definition the library cannot parse is skipped (validation reports it).
 */
function safeIndex(sds: StructureDefinition[]): void {
  for (const sd of sds) {
    try {
      indexStructureDefinitionBundle([sd]);
    } catch {
      // not usable by @medplum/core; validating against it yields a warning in structure-check.ts
    }
  }
}
