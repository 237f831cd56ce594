/**
 * Code translation for projections (SNOMED CT → ICD-10 for claim diagnoses …), from the ConceptMap resources of
 * the FHIR store. This is the one place a projection asks for a code map; fhir_mappings code rows are moved into
 * ConceptMaps (server/fhir/terminology/code-row-maps.ts), so they are found here too.
 * Where no map names a code, the caller keeps the code with its system.
 */
import type { ConceptMap } from '@medplum/fhirtypes';
import type { ResourceStore } from '../../server/store/resource-store.js';

export type TranslatedCode = { system: string; code: string };
/** The target code of `system|code` in a target system matching `target`, or undefined when no map names it. */
export type CodeTranslator = (
  system: string | undefined,
  code: string | undefined,
  target: RegExp,
) => TranslatedCode | undefined;

/** Equivalences that make a usable translation, best first (R4 ConceptMapEquivalence); unmatched/disjoint never. */
const RANK = ['equal', 'equivalent', 'wider', 'subsumes', 'relatedto', 'inexact', 'narrower', 'specializes'];

type Target = TranslatedCode & { rank: number; map: string };

export const noTranslation: CodeTranslator = () => undefined;

/** Indexes ConceptMaps (active or draft; retired ones are skipped) by source system and code. */
export function translatorFrom(maps: ConceptMap[]): CodeTranslator {
  const index = new Map<string, Target[]>();
  for (const map of maps) {
    if (map.status === 'retired') continue;
    for (const group of map.group ?? []) {
      if (!group.source || !group.target) continue;
      for (const element of group.element ?? []) {
        if (!element.code) continue;
        for (const t of element.target ?? []) {
          const rank = RANK.indexOf(t.equivalence ?? '');
          if (!t.code || rank < 0) continue;
          const key = `${group.source}|${element.code}`;
          index.set(key, [
            ...(index.get(key) ?? []),
            { system: group.target, code: t.code, rank, map: map.url ?? map.id ?? '' },
          ]);
        }
      }
    }
  }
  for (const targets of index.values())
    targets.sort((a, b) => a.rank - b.rank || a.map.localeCompare(b.map) || a.code.localeCompare(b.code));
  return (system, code, target) => {
    if (!system || !code) return undefined;
    const hit = index.get(`${system}|${code}`)?.find((t) => target.test(t.system));
    return hit ? { system: hit.system, code: hit.code } : undefined;
  };
}

/** Reads every ConceptMap of the store (a few hundred at most in practice) into a translator. */
export async function loadCodeTranslator(store: ResourceStore): Promise<CodeTranslator> {
  const maps: ConceptMap[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.search({
      resourceTypes: ['ConceptMap'],
      conditions: [],
      sort: [],
      count: 500,
      total: 'none',
      ...(cursor ? { cursor } : {}),
    });
    for (const e of page.entries) if (e.resource) maps.push(e.resource as ConceptMap);
    cursor = page.nextCursor;
  } while (cursor);
  return maps.length ? translatorFrom(maps) : noTranslation;
}
