/**
 * Finds the code systems, value sets and concept maps terminology works on: those created by clients (ordinary
 * resources, read through the store-level search — they win over the specification's) and the R4 specification's
 * (spec-terminology.ts). A client's large code system whose concepts were uploaded into the concept table is
 * answered from there (concept-table.ts); every other one is indexed in memory once per resource version.
 */
import { LRUCache } from '@medplum/core';
import type { CodeSystem, ConceptMap, ValueSet } from '@medplum/fhirtypes';
import type { ConceptSource } from './concept-source.js';
import { MemoryCodeSystem } from './memory-code-system.js';
import { specConceptMaps, specResource, splitCanonical, type TerminologyResource } from './spec-terminology.js';

export type TerminologyKind = TerminologyResource['resourceType'];

/** Client-made resources of a kind with this canonical URL (any version), e.g. through the store-level search. */
export type StoredTerminology = (
  kind: TerminologyKind,
  params: Array<[string, string]>,
) => Promise<TerminologyResource[]>;

/** The concept-table-backed source of a stored CodeSystem whose concepts were uploaded, if they were. */
export type TableSources = (cs: CodeSystem) => Promise<ConceptSource | undefined>;

const indexed = new WeakMap<CodeSystem, MemoryCodeSystem>();
/** Client CodeSystems indexed in memory, by id and version (a new version is indexed anew); a small LRU. */
const storedIndexes = new LRUCache<MemoryCodeSystem>(32);

export class Terminology {
  constructor(
    private readonly stored?: StoredTerminology,
    private readonly tables?: TableSources,
  ) {}

  async codeSystemResource(canonical: string, version?: string): Promise<CodeSystem | undefined> {
    return this.find('CodeSystem', canonical, version);
  }

  async codeSystem(canonical: string, version?: string): Promise<ConceptSource | undefined> {
    const cs = await this.codeSystemResource(canonical, version);
    return cs ? this.sourceOf(cs) : undefined;
  }

  async sourceOf(cs: CodeSystem): Promise<ConceptSource> {
    if (cs.id && cs.meta?.versionId) {
      if (cs.content === 'not-present' && this.tables) {
        const table = await this.tables(cs);
        if (table) return table;
      }
      const key = `${cs.id}/${cs.meta.versionId}/${cs.meta.lastUpdated ?? ''}`;
      const hit = storedIndexes.get(key);
      if (hit) return hit;
      const built = new MemoryCodeSystem(cs);
      storedIndexes.set(key, built);
      return built;
    }
    let built = indexed.get(cs);
    if (!built) indexed.set(cs, (built = new MemoryCodeSystem(cs)));
    return built;
  }

  /** A value set by canonical URL; `[system]?fhir_vs` (whole code system) and `?fhir_vs=isa/[code]` are implicit. */
  valueSet(canonical: string, version?: string): Promise<ValueSet | undefined> {
    const implicit = /^([^?]+)\?fhir_vs(?:=isa\/(.+))?$/.exec(canonical);
    if (implicit) {
      const [, system, code] = implicit;
      return Promise.resolve({
        resourceType: 'ValueSet',
        url: canonical,
        status: 'active',
        compose: {
          include: [{ system, ...(code ? { filter: [{ property: 'concept', op: 'is-a', value: code }] } : {}) }],
        },
      });
    }
    return this.find('ValueSet', canonical, version);
  }

  conceptMap(canonical: string, version?: string): Promise<ConceptMap | undefined> {
    return this.find('ConceptMap', canonical, version);
  }

  /** Every concept map whose source (group.source) is this code system: clients' first, then the specification's. */
  async conceptMapsFrom(system: string): Promise<ConceptMap[]> {
    const own = this.stored ? ((await this.stored('ConceptMap', [['source-system', system]])) as ConceptMap[]) : [];
    return [...own, ...specConceptMaps().filter((m) => m.group?.some((g) => g.source === system))];
  }

  private async find<K extends TerminologyKind>(
    kind: K,
    canonical: string,
    version?: string,
  ): Promise<Extract<TerminologyResource, { resourceType: K }> | undefined> {
    const { url, version: v } = splitCanonical(canonical, version);
    if (this.stored) {
      const params: Array<[string, string]> = [['url', url]];
      if (v) params.push(['version', v]);
      const found = (await this.stored(kind, params)).filter((r) => r.url === url && (!v || r.version === v));
      if (found.length > 0) return latest(found) as Extract<TerminologyResource, { resourceType: K }>;
    }
    return specResource(kind, url, v);
  }
}

/** The most recently written of several resources with one canonical URL. */
function latest(list: TerminologyResource[]): TerminologyResource {
  return list.reduce((a, b) => ((b.meta?.lastUpdated ?? '') > (a.meta?.lastUpdated ?? '') ? b : a));
}
