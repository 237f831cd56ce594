/**
 * HL7 v2 code tables as ConceptMap resources: a ConceptMap of the FHIR store whose identifier has the system
 * CODE_TABLE_SYSTEM and the table's name as value (`AdministrativeSex`, `PatientClass[EncounterStatus]`, …) is laid
 * over the shipped table of that name, for every inbound message, from the next message on after it is written —
 * the same resource that `$translate` and the projections' code translator read, so one ConceptMap edit over REST
 * changes them all. Each element's code is a v2 code; its best target (equal, equivalent, wider, … as in
 * adapters/outbox/terminology.ts; unmatched and disjoint never) gives the FHIR code, `group.target` its system.
 * Retired maps are skipped; of several maps for one table the most recently written wins.
 */
import type { ConceptMap } from '@medplum/fhirtypes';
import type { ResourceStore } from '../../store/resource-store.js';
import { FULL_ACCESS } from '../access-policy.js';
import { storeSearch } from '../search/store-search.js';

/** ConceptMap.identifier.system naming an HL7 v2 code table (its value is the table name). */
export const CODE_TABLE_SYSTEM = 'https://nilecare.sd/fhir/hl7v2-code-table';

/** One code of a table: the shape adapters/hl7v2/mapping/code-tables.ts lays over its defaults. */
export type CodeTableOverride = {
  readonly table: string;
  readonly source: string;
  readonly target: { readonly code: string; readonly system?: string; readonly display?: string };
};

/** The code-table ConceptMaps now: a fingerprint that changes with any of them, and their codes. */
export type CodeTableMaps = () => Promise<{ version: string; overrides: CodeTableOverride[] }>;

const RANK = ['equal', 'equivalent', 'wider', 'subsumes', 'relatedto', 'inexact', 'narrower', 'specializes'];

export function codeTableMaps(store: ResourceStore, baseUrl = 'http://localhost/fhir'): CodeTableMaps {
  return async () => {
    const maps: ConceptMap[] = [];
    const versions: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await storeSearch({
        store,
        resourceTypes: ['ConceptMap'],
        params: [['identifier', `${CODE_TABLE_SYSTEM}|`]],
        baseUrl,
        access: { ...FULL_ACCESS, who: 'system (HL7 v2 code tables)' },
        handling: 'lenient',
        count: 1000,
        ...(cursor ? { cursor } : {}),
      });
      for (const m of page.matches) {
        if (!m.resource) continue;
        maps.push(m.resource as ConceptMap);
        versions.push(`${m.id}/${m.versionId}`);
      }
      cursor = page.nextCursor;
    } while (cursor);
    return { version: versions.sort().join(','), overrides: overridesFrom(maps) };
  };
}

/** The codes of code-table ConceptMaps, oldest map first (later ones win when laid over the tables). */
export function overridesFrom(maps: readonly ConceptMap[]): CodeTableOverride[] {
  const out: CodeTableOverride[] = [];
  const ordered = [...maps].sort((a, b) => (a.meta?.lastUpdated ?? '').localeCompare(b.meta?.lastUpdated ?? ''));
  for (const map of ordered) {
    if (map.status === 'retired') continue;
    const table = tableOf(map);
    if (!table) continue;
    for (const group of map.group ?? []) {
      for (const element of group.element ?? []) {
        if (!element.code) continue;
        const best = (element.target ?? [])
          .filter((t) => t.code && RANK.includes(t.equivalence ?? ''))
          .sort((a, b) => RANK.indexOf(a.equivalence) - RANK.indexOf(b.equivalence))[0];
        if (!best?.code) continue;
        out.push({
          table,
          source: element.code,
          target: {
            code: best.code,
            ...(group.target ? { system: group.target } : {}),
            ...(best.display ? { display: best.display } : {}),
          },
        });
      }
    }
  }
  return out;
}

function tableOf(map: ConceptMap): string | undefined {
  const id = map.identifier;
  return id?.system === CODE_TABLE_SYSTEM && id.value ? id.value : undefined;
}
