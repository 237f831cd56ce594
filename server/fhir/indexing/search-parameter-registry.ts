/**
 * The search parameters that apply to each resource type, as plain data: the R4 SearchParameter bundle
 * plus the ones under profiles/ (both loaded by loadDefinitions()), plus the Resource/DomainResource-level
 * parameters (_id, _lastUpdated, _tag, _profile, _security, _source, _text, _content, _query) for every type.
 * Medplum-only parameters (_compartment, _project) are left out.
 */
import { getSearchParameters } from '@medplum/core';
import type { SearchParameter } from '@medplum/fhirtypes';
import { loadDefinitions } from '../definitions.js';
import type { ParamKind } from '../search/search-query.js';

export type SearchParameterComponentInfo = { code: string; kind: ParamKind; expression: string };

export type SearchParameterInfo = {
  code: string;
  kind: ParamKind | 'special';
  /** The full FHIRPath expression as written in the SearchParameter (may cover several resource types). */
  expression: string;
  /** Reference target types (empty when the parameter is not a reference or names no targets). */
  targets: string[];
  /** Composite parameters: components in definition order; `code` is the component SearchParameter's code. */
  components?: SearchParameterComponentInfo[];
  url: string;
  base: string[];
};

const R4_BASE = 'http://hl7.org/fhir/SearchParameter/';

/** Parameters every resource type has (from Resource and DomainResource in R4). */
const RESOURCE_LEVEL = [
  { code: '_id', kind: 'token', id: 'Resource-id', path: 'id' },
  { code: '_lastUpdated', kind: 'date', id: 'Resource-lastUpdated', path: 'meta.lastUpdated' },
  { code: '_tag', kind: 'token', id: 'Resource-tag', path: 'meta.tag' },
  { code: '_profile', kind: 'uri', id: 'Resource-profile', path: 'meta.profile' },
  { code: '_security', kind: 'token', id: 'Resource-security', path: 'meta.security' },
  { code: '_source', kind: 'uri', id: 'Resource-source', path: 'meta.source' },
  /** Narrative text: indexed as a string (HTML tags stripped) by extractIndex. */
  { code: '_text', kind: 'string', id: 'DomainResource-text', path: 'text.div' },
  /** Full-text search over the whole resource: not indexed (stores may answer it themselves or refuse it). */
  { code: '_content', kind: 'special', id: 'Resource-content', path: '' },
  { code: '_query', kind: 'special', id: 'Resource-query', path: '' },
] as const satisfies readonly { code: string; kind: ParamKind | 'special'; id: string; path: string }[];

const MEDPLUM_ONLY = new Set(['_compartment', '_project']);

let byType: Map<string, Map<string, SearchParameterInfo>> | undefined;
let byUrl: Map<string, SearchParameter> | undefined;

/** The parameter `code` of `resourceType`, or undefined when there is no such parameter (or no such type). */
export function getSearchParameterInfo(resourceType: string, code: string): SearchParameterInfo | undefined {
  return registry().get(resourceType)?.get(code);
}

/** Every parameter of `resourceType` (empty for an unknown type), resource-level ones first. */
export function listSearchParameters(resourceType: string): SearchParameterInfo[] {
  const params = registry().get(resourceType);
  return params ? [...params.values()] : [];
}

/** The SearchParameter resource with this canonical URL (R4 or profiles/), if loaded. */
export function getSearchParameterByUrl(url: string): SearchParameter | undefined {
  registry();
  return byUrl!.get(url);
}

function registry(): Map<string, Map<string, SearchParameterInfo>> {
  if (byType) return byType;
  const definitions = loadDefinitions();
  byUrl = new Map();
  const types = new Set(definitions.resourceTypes);
  const all: SearchParameter[] = [];
  for (const type of types) {
    for (const sp of Object.values(getSearchParameters(type) ?? {})) all.push(sp);
  }
  for (const sp of [...all, ...definitions.extraSearchParameters]) {
    if (sp.url) byUrl.set(sp.url, sp);
  }
  const built = new Map<string, Map<string, SearchParameterInfo>>();
  for (const type of types) {
    const params = new Map<string, SearchParameterInfo>();
    for (const rl of RESOURCE_LEVEL) {
      params.set(rl.code, {
        code: rl.code,
        kind: rl.kind,
        expression: rl.path ? `${type}.${rl.path}` : '',
        targets: [],
        url: R4_BASE + rl.id,
        base: [rl.id.startsWith('Domain') ? 'DomainResource' : 'Resource'],
      });
    }
    for (const [code, sp] of Object.entries(getSearchParameters(type) ?? {})) {
      if (MEDPLUM_ONLY.has(code) || params.has(code) || !sp.expression) continue;
      const info = toInfo(sp);
      if (info) params.set(code, info);
    }
    built.set(type, params);
  }
  byType = built;
  return built;
}

function toInfo(sp: SearchParameter): SearchParameterInfo | undefined {
  const kind = paramKind(sp.type);
  if (!kind) return undefined;
  const info: SearchParameterInfo = {
    code: sp.code,
    kind,
    expression: sp.expression as string,
    targets: kind === 'reference' ? [...(sp.target ?? [])] : [],
    url: sp.url ?? R4_BASE + sp.id,
    base: [...(sp.base ?? [])],
  };
  if (kind === 'composite') {
    const components: SearchParameterComponentInfo[] = [];
    for (const component of sp.component ?? []) {
      const def = component.definition ? byUrl!.get(component.definition) : undefined;
      const componentKind = def ? paramKind(def.type) : undefined;
      if (
        !def ||
        !componentKind ||
        componentKind === 'special' ||
        componentKind === 'composite' ||
        !component.expression
      ) {
        return undefined; // a composite whose parts cannot be resolved cannot be searched
      }
      components.push({ code: def.code, kind: componentKind, expression: component.expression });
    }
    info.components = components;
  }
  return info;
}

function paramKind(type: SearchParameter['type']): ParamKind | 'special' | undefined {
  switch (type) {
    case 'string':
    case 'token':
    case 'date':
    case 'number':
    case 'quantity':
    case 'reference':
    case 'uri':
    case 'composite':
    case 'special':
      return type;
    default:
      return undefined;
  }
}
