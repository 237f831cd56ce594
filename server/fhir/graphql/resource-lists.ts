/**
 * `[type]List` and `[type]Connection`, at the root (a search) and inside a resource (a reverse reference:
 * `ObservationList(_reference: patient)` in Patient/1 searches Observation?patient=Patient/1 with the other
 * arguments). Every search is the REST search of graphql-context.ts. Connection cursors are the store's keyset
 * cursors prefixed with the offset of the page they open (`40:…`), so a page knows its offset.
 */
import { GraphQLString, Kind, type GraphQLFieldResolver, type SelectionSetNode } from 'graphql';
import type { Resource } from '@medplum/fhirtypes';
import { badRequest } from '../errors.js';
import { getSearchParameterInfo } from '../indexing/search-parameter-registry.js';
import { DEFAULT_COUNT } from '../search/search-constants.js';
import { searchResources, type GraphqlContext } from './graphql-context.js';
import { searchParams } from './search-args.js';

export const CURSOR_ARG = {
  _cursor: { type: GraphQLString, description: 'A first/previous/next cursor of an earlier page' },
} as const;

type Args = Record<string, unknown>;
type Source = Record<string, unknown> | null | undefined;

/** The search pairs of a list field: its arguments, and `_reference` as the parameter naming the focus resource. */
function paramsOf(resourceType: string, source: Source, args: Args): Array<[string, string]> {
  const { _reference: reference, _cursor: _ignored, ...rest } = args;
  const params = searchParams(resourceType, rest);
  if (reference === undefined || reference === null) return params;
  const focus = source as Resource | null | undefined;
  if (!focus?.resourceType || !focus.id) throw badRequest('_reference needs a resource with an id to refer to');
  const info = getSearchParameterInfo(resourceType, String(reference));
  if (!info || info.kind !== 'reference' || (info.targets.length > 0 && !info.targets.includes(focus.resourceType)))
    throw badRequest(`${resourceType}.${String(reference)} does not refer to ${focus.resourceType} resources`);
  return [[info.code, `${focus.resourceType}/${focus.id}`], ...params];
}

export function listResolver(resourceType: string): GraphQLFieldResolver<Source, GraphqlContext, Args> {
  return async (source, args, g) => {
    const result = await searchResources(g, resourceType, paramsOf(resourceType, source, args));
    return result.matches.map((v) => v.resource as Resource);
  };
}

export function connectionResolver(resourceType: string): GraphQLFieldResolver<Source, GraphqlContext, Args> {
  return async (source, args, g, info) => {
    const params = paramsOf(resourceType, source, args);
    if (
      selects(
        info.fieldNodes.map((n) => n.selectionSet),
        'count',
      )
    )
      params.push(['_total', 'accurate']);
    const { offset, cursor } = readCursor(args['_cursor']);
    const result = await searchResources(g, resourceType, params, cursor);
    const pagesize = typeof args['_count'] === 'number' ? args['_count'] : DEFAULT_COUNT;
    const page = result.matches.length;
    return {
      count: result.total,
      offset,
      pagesize,
      first: offset > 0 ? '0:' : null,
      previous: result.previousCursor ? `${Math.max(0, offset - pagesize)}:${result.previousCursor}` : null,
      next: result.nextCursor ? `${offset + page}:${result.nextCursor}` : null,
      last: null,
      edges: result.matches.map((v) => ({ mode: 'match', resource: v.resource })),
    };
  };
}

function readCursor(value: unknown): { offset: number; cursor?: string } {
  if (value === undefined || value === null) return { offset: 0 };
  const match = /^(\d{1,9}):(.*)$/s.exec(String(value));
  if (!match) throw badRequest('_cursor is not a cursor this server handed out (first, previous or next)');
  return { offset: Number(match[1]), cursor: match[2] || undefined };
}

/** Whether a selection (fragments included, one level) asks for `name`. */
function selects(sets: ReadonlyArray<SelectionSetNode | undefined>, name: string): boolean {
  for (const set of sets) {
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD && s.name.value === name) return true;
      if (s.kind === Kind.INLINE_FRAGMENT && selects([s.selectionSet], name)) return true;
      if (s.kind === Kind.FRAGMENT_SPREAD) return true; // a named fragment: ask for the total rather than miss it
    }
  }
  return false;
}
