/**
 * HL7 v2 code tables as ConceptMap resources: a ConceptMap of the FHIR store whose identifier has the system
 * CODE_TABLE_SYSTEM and the table's name as value (`AdministrativeSex`, `PatientClass[EncounterStatus]`, …) is laid
 * over the shipped table of that name, for every inbound message, from the next message on after it is written —
 * the same resource that `$translate` and the projections' code translator read, so one ConceptMap edit over REST
 * changes them all. Each element's code is a v2 code; its best target (equal, equivalent, wider, … as in
 * adapters/outbox/terminology.ts; unmatched and disjoint never) gives the FHIR code, `group.target` its system.
 * Retired maps are skipped; of several maps for one table the most recently written wins.
 * A map may carry the scope extension (SCOPE_EXTENSION: message type, trigger event, HL7 version, sending
 * application / facility, priority — the scope columns of a fhir_mappings row, see code-row-maps.ts): it then applies
 * only to the messages in its scope, over the unscoped maps, as a scoped fhir_mappings row did.
 */
import type { ConceptMap } from '@medplum/fhirtypes';
import type { ResourceStore } from '../../store/resource-store.js';
import { FULL_ACCESS } from '../access-policy.js';
import { storeSearch } from '../search/store-search.js';
import { CODE_TABLE_SYSTEM, scopeExtensionOf } from './code-table-scope.js';

export { CODE_TABLE_SYSTEM };

/** One code of a table: the shape adapters/hl7v2/mapping/code-tables.ts lays over its defaults. */
export type CodeTableOverride = {
  readonly table: string;
  readonly source: string;
  readonly target: { readonly code: string; readonly system?: string; readonly display?: string };
};

/** The scope of a scoped code-table map, in the shape of a fhir_mappings row (adapters/hl7v2 site-mappings.ts). */
export type CodeTableScope = {
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly messageType: string;
  readonly triggerEvent?: string;
  readonly hl7Version?: string;
  readonly sendingApplication?: string;
  readonly sendingFacility?: string;
  readonly priority: number;
};

/**
 * The code-table ConceptMaps now: a fingerprint that changes with any of them, the codes of the unscoped ones, and
 * the scoped ones (oldest first within a priority) with their codes.
 */
export type CodeTableMaps = () => Promise<{
  version: string;
  overrides: CodeTableOverride[];
  scoped: { scope: CodeTableScope; overrides: CodeTableOverride[] }[];
}>;

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
    const scoped = maps
      .map((map) => ({ map, scope: scopeOf(map) }))
      .filter((m): m is { map: ConceptMap; scope: CodeTableScope } => !!m.scope)
      .sort((a, b) => b.scope.priority - a.scope.priority || stamp(a.map).localeCompare(stamp(b.map)))
      .map(({ map, scope }) => ({ scope, overrides: overridesFrom([map]) }));
    return {
      version: versions.sort().join(','),
      overrides: overridesFrom(maps.filter((m) => !scopeOf(m))),
      scoped,
    };
  };
}

const stamp = (map: ConceptMap) => map.meta?.lastUpdated ?? '';

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

/** The scope a scoped map applies in (retired maps and maps of no table have none). */
function scopeOf(map: ConceptMap): CodeTableScope | undefined {
  const table = tableOf(map);
  const scope = scopeExtensionOf(map);
  if (!table || !scope || map.status === 'retired') return undefined;
  return {
    id: `ConceptMap/${map.id ?? ''}`,
    name: table,
    version: Number(map.meta?.versionId ?? 1),
    ...scope,
  };
}

export function tableOf(map: ConceptMap): string | undefined {
  const id = map.identifier;
  return id?.system === CODE_TABLE_SYSTEM && id.value ? id.value : undefined;
}
