/**
 * The result parameters: _sort, _count, _total, _summary, _elements, _include, _revinclude.
 */
import { badRequest } from '../errors.js';
import { getSearchParameterInfo } from '../indexing/search-parameter-registry.js';
import { unionMembers } from '../indexing/union-params.js';
import type { SortKey, TotalMode } from './search-query.js';
import { MAX_COUNT } from './search-constants.js';
import { UnsupportedSearchError } from './parse-value.js';
import { UnknownParameterError } from './parse-condition.js';

export const SUMMARY_MODES = ['true', 'false', 'text', 'data', 'count'] as const;
export type SummaryMode = (typeof SUMMARY_MODES)[number];

export const TOTAL_MODES = ['none', 'estimate', 'accurate'] as const satisfies readonly TotalMode[];

/**
 * `_include=Observation:subject[:Patient]` / `_revinclude=Observation:subject`; `*` for every reference
 * parameter (`_include=*`, `_include=Observation:*`). `iterate` = `:iterate` (or R3's `:recurse`).
 */
export type IncludeSpec = { sourceType: string; param: string; targetType?: string; iterate: boolean };

export function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw badRequest(`_count must be a whole number ≥ 0, not '${value}'`);
  return Math.min(Number(value), MAX_COUNT);
}

export function parseTotal(value: string): TotalMode {
  const found = TOTAL_MODES.find((m) => m === value);
  if (!found) throw badRequest(`_total must be one of ${TOTAL_MODES.join(', ')}, not '${value}'`);
  return found;
}

export function parseSummary(value: string): SummaryMode {
  const found = SUMMARY_MODES.find((m) => m === value);
  if (!found) throw badRequest(`_summary must be one of ${SUMMARY_MODES.join(', ')}, not '${value}'`);
  return found;
}

export function parseElements(value: string): string[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)?$/.test(n) && !/^[A-Z][A-Za-z]+\.[a-z][A-Za-z0-9]*$/.test(n)) {
      throw badRequest(`_elements: '${n}' is not an element name`);
    }
  }
  return names.map((n) => (/^[A-Z]/.test(n) && n.includes('.') ? n.split('.')[1]! : n));
}

const SORTABLE = new Set(['string', 'token', 'date', 'number', 'quantity', 'reference', 'uri']);

/** `_sort=-date,name`: one key per name; each must be sortable on every searched type. */
export function parseSort(value: string, resourceTypes: string[]): SortKey[] {
  const keys: SortKey[] = [];
  for (const raw of value.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const descending = item.startsWith('-');
    const code = descending ? item.slice(1) : item;
    if (code === '_id') keys.push({ kind: 'id', descending });
    else if (code === '_lastUpdated') keys.push({ kind: 'lastUpdated', descending });
    else {
      if (resourceTypes.length === 0)
        throw new UnsupportedSearchError(`_sort=${code}: only _id and _lastUpdated sort a search across all types`);
      const kinds = new Set<string>();
      for (const type of resourceTypes) {
        const def = getSearchParameterInfo(type, code);
        if (!def) throw new UnknownParameterError(`_sort: unknown search parameter '${code}' for ${type}`);
        kinds.add(def.kind);
      }
      const [kind] = [...kinds];
      if (kinds.size !== 1 || !SORTABLE.has(kind!)) {
        throw new UnsupportedSearchError(`_sort: parameter '${code}' (${[...kinds].join('/')}) cannot be sorted on`);
      }
      // a union parameter has no entries of its own: it sorts on its members' (the same values)
      const params = [...new Set(resourceTypes.flatMap((t) => unionMembers(t, code) ?? [code]))];
      keys.push({
        kind: kind as Exclude<SortKey['kind'], 'id' | 'lastUpdated' | 'composite'>,
        param: code,
        descending,
        ...(params.length === 1 && params[0] === code ? {} : { params }),
      });
    }
  }
  return keys;
}

export function parseInclude(name: string, value: string, isResourceType: (t: string) => boolean): IncludeSpec {
  const [, modifier] = name.split(':');
  if (modifier && modifier !== 'iterate' && modifier !== 'recurse')
    throw badRequest(`Unknown modifier :${modifier} on ${name.split(':')[0]}`);
  const iterate = modifier === 'iterate' || modifier === 'recurse';
  if (value === '*') return { sourceType: '*', param: '*', iterate };
  const [sourceType, param, targetType, ...extra] = value.split(':');
  if (!sourceType || !param || extra.length > 0)
    throw badRequest(`${name}: '${value}' must be SourceType:parameter[:TargetType]`);
  if (!isResourceType(sourceType)) throw badRequest(`${name}: '${sourceType}' is not a resource type`);
  if (targetType !== undefined && !isResourceType(targetType))
    throw badRequest(`${name}: '${targetType}' is not a resource type`);
  if (param !== '*') {
    const def = getSearchParameterInfo(sourceType, param);
    if (!def) throw new UnknownParameterError(`${name}: ${sourceType} has no search parameter '${param}'`);
    if (def.kind !== 'reference') throw badRequest(`${name}: '${param}' of ${sourceType} is not a reference parameter`);
    if (targetType && def.targets.length > 0 && !def.targets.includes(targetType)) {
      throw badRequest(`${name}: '${param}' of ${sourceType} cannot refer to ${targetType}`);
    }
  }
  return targetType ? { sourceType, param, targetType, iterate } : { sourceType, param, iterate };
}
