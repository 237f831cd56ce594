/**
 * A low-cardinality name for a FHIR request (for metrics and logs): `read`, `search-type`, `transaction`, `$export` …
 */
import type { FhirRequest } from '../fhir/fhir-request.js';

export function interactionName(request: FhirRequest): string {
  const [a, b, c, d] = request.segments;
  const m = request.method === 'HEAD' ? 'GET' : request.method;
  if (a === undefined) return m === 'POST' ? 'bundle' : 'search-system';
  if (a === 'metadata') return 'capabilities';
  if (a === '_history') return 'history-system';
  if (a.startsWith('$')) return a;
  if (b === undefined)
    return (
      { GET: 'search-type', POST: 'create', PUT: 'conditional-update', DELETE: 'conditional-delete', PATCH: 'patch' }[
        m
      ] ?? 'unknown'
    );
  if (b === '_search') return 'search-type';
  if (b === '_history') return 'history-type';
  if (b.startsWith('$')) return b;
  if (c === undefined)
    return { GET: 'read', PUT: 'update', PATCH: 'patch', DELETE: 'delete', POST: 'unknown' }[m] ?? 'unknown';
  if (c === '_history') return d === undefined ? 'history-instance' : 'vread';
  if (c.startsWith('$')) return c;
  return 'search-compartment';
}
