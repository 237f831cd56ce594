/**
 * `_typeFilter` (Bulk Data IG): each value is a comma-separated list of FHIR search queries `Type?params`, each
 * URL-encoded by the client; repeated parameters count as if comma-joined. Queries of one type are OR-ed.
 *
 * Splitting: a comma separates two queries only where the next query begins — `<known type>?`. A comma inside a
 * query (`Observation?code=a,b`, an OR of codes; `name=a\,b`) therefore stays in its query, whether the client
 * encoded it as %2C or not. Values that arrive still encoded (`Observation%3Fcode%3D…`, a client that encoded
 * twice) are split on their literal commas and decoded.
 *
 * Every query is checked at kick-off, as a search under the caller's AccessPolicy would be (strict: an unknown
 * parameter or a bad value is a 400 there and then, not a failed job later); result parameters are refused.
 */
import { badRequest, FhirError } from '../../errors.js';
import type { FhirContext } from '../../fhir-context.js';
import { parseSearch } from '../../search/parse-search.js';

export type TypeFilter = { type: string; params: Array<[string, string]> };

const RESULT_PARAMS = new Set([
  '_include',
  '_revinclude',
  '_sort',
  '_count',
  '_total',
  '_summary',
  '_elements',
  '_contained',
  '_containedType',
  '_cursor',
  '_format',
  '_pretty',
  '_type',
]);

const ENCODED_QUERY = /^[A-Z][A-Za-z]+%3F/i;

/** The single queries of the given `_typeFilter` values, as text `Type?params`. */
export function splitTypeFilters(values: string[], isResourceType: (t: string) => boolean): string[] {
  const out: string[] = [];
  for (const value of values) {
    if (ENCODED_QUERY.test(value)) {
      for (const part of value.split(',').filter(Boolean)) out.push(decode(part));
      continue;
    }
    const queries: string[] = [];
    for (const piece of value.split(',')) {
      const type = /^([A-Za-z]+)\?/.exec(piece)?.[1];
      if ((type && isResourceType(type)) || queries.length === 0) queries.push(piece);
      else queries[queries.length - 1] += `,${piece}`;
    }
    out.push(...queries.filter((q) => q.length > 0));
  }
  return out;
}

/** Parsed and checked filters; throws a 400 OperationOutcome naming the first bad query. */
export function parseTypeFilters(ctx: FhirContext, values: string[], exportTypes: string[]): TypeFilter[] {
  const exported = new Set(exportTypes);
  return splitTypeFilters(values, (t) => ctx.resourceTypes.has(t)).map((query) => {
    const shown = query.slice(0, 120);
    const q = query.indexOf('?');
    const type = q > 0 ? query.slice(0, q) : '';
    if (!ctx.resourceTypes.has(type))
      throw badRequest(`_typeFilter "${shown}" must be a search query of one resource type: Type?parameters`);
    if (!exported.has(type))
      throw badRequest(`_typeFilter "${shown}" filters ${type}, which this export does not include`);
    const params = [...new URLSearchParams(query.slice(q + 1)).entries()];
    if (params.length === 0) throw badRequest(`_typeFilter "${shown}" has no search parameter`);
    for (const [name] of params) {
      if (RESULT_PARAMS.has(name.split(':')[0] ?? ''))
        throw badRequest(`_typeFilter "${shown}": ${name} is a search result parameter and not allowed here`);
    }
    try {
      parseSearch([type], params, { handling: 'strict', baseUrl: ctx.baseUrl, access: ctx.access });
    } catch (err) {
      if (err instanceof FhirError && err.status === 400) throw badRequest(`_typeFilter "${shown}": ${err.message}`);
      throw err;
    }
    return { type, params };
  });
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw badRequest(`_typeFilter "${part.slice(0, 120)}" is not valid URL encoding`);
  }
}
