/**
 * The `searchset` Bundle: entries with fullUrl and search.mode, self/next/previous links that carry the
 * store's opaque keyset cursor, and an OperationOutcome entry for warnings (ignored parameters, caps).
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, BundleLink, Resource } from '@medplum/fhirtypes';
import { issue, operationOutcome } from '../errors.js';
import { CURSOR_PARAM } from './search-constants.js';
import { entryField } from '../bundle/entry-field.js';

export type SearchLocation = {
  baseUrl: string;
  /** As requested: [] for system search, one type for type-level or compartment search. */
  resourceTypes: string[];
  compartment?: { resourceType: string; id: string };
  /** The request parameters, in order (any cursor parameter is dropped and replaced). */
  params: Array<[string, string]>;
};

export function searchUrl(location: SearchLocation, cursor?: string): string {
  const base = location.baseUrl.replace(/\/+$/, '');
  let path = base;
  if (location.compartment) {
    path = `${base}/${location.compartment.resourceType}/${encodeURIComponent(location.compartment.id)}/${location.resourceTypes[0] ?? '*'}`;
  } else if (location.resourceTypes.length === 1) {
    path = `${base}/${location.resourceTypes[0]}`;
  }
  const query = new URLSearchParams(location.params.filter(([n]) => n !== CURSOR_PARAM));
  if (cursor) query.append(CURSOR_PARAM, cursor);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

export type BundleParts = {
  location: SearchLocation;
  matches: Resource[];
  included: Resource[];
  warnings: string[];
  total?: number;
  cursor?: string;
  nextCursor?: string;
  previousCursor?: string;
};

export function searchBundle(parts: BundleParts): Bundle {
  const base = parts.location.baseUrl.replace(/\/+$/, '');
  const link: BundleLink[] = [{ relation: 'self', url: searchUrl(parts.location, parts.cursor) }];
  if (parts.nextCursor) link.push({ relation: 'next', url: searchUrl(parts.location, parts.nextCursor) });
  if (parts.previousCursor) link.push({ relation: 'previous', url: searchUrl(parts.location, parts.previousCursor) });
  const entry: BundleEntry[] = [
    ...parts.matches.map((resource) => resourceEntry(base, resource, 'match')),
    ...parts.included.map((resource) => resourceEntry(base, resource, 'include')),
  ];
  if (parts.warnings.length > 0) {
    entry.push({
      fullUrl: `urn:uuid:${randomUUID()}`,
      resource: operationOutcome(parts.warnings.map((w) => issue('not-supported', w, { severity: 'warning' }))),
      search: { mode: 'outcome' },
    });
  }
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    meta: { lastUpdated: new Date().toISOString() },
    type: 'searchset',
    ...(parts.total !== undefined ? { total: parts.total } : {}),
    link,
    ...entryField(entry),
  };
}

function resourceEntry(base: string, resource: Resource, mode: 'match' | 'include'): BundleEntry {
  return { fullUrl: `${base}/${resource.resourceType}/${resource.id}`, resource, search: { mode } };
}
