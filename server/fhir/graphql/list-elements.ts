/**
 * Arguments on list elements (`name(use: official)`, `identifier(system: "x", _count: 1)`): every argument other
 * than `_count` / `_offset` names a primitive element of the item type whose value must equal it; then `_offset`
 * items are skipped and at most `_count` kept.
 */
import { GraphQLInt, type GraphQLFieldConfigArgumentMap } from 'graphql';
import type { InternalTypeSchema } from '@medplum/core';
import { FilterValueScalar } from './scalars.js';
import { isPrimitiveCode } from './primitive-types.js';

export const PAGING_ARGS = {
  _count: { type: GraphQLInt, description: 'At most this many items' },
  _offset: { type: GraphQLInt, description: 'Skip this many items first' },
} as const;

/** The arguments of a list element whose items are of this complex type. */
export function listElementArguments(itemType: InternalTypeSchema): GraphQLFieldConfigArgumentMap {
  const args: GraphQLFieldConfigArgumentMap = { ...PAGING_ARGS };
  for (const [key, element] of Object.entries(itemType.elements)) {
    if (key.endsWith('[x]') || element.isArray || element.type.length !== 1) continue;
    if (!isPrimitiveCode(element.type[0]!.code)) continue;
    args[key] = { type: FilterValueScalar, description: `Only items whose ${key} is this value` };
  }
  return args;
}

/** The items of a list element that the arguments keep. */
export function filterItems(items: unknown, args: Record<string, unknown>): unknown[] | null | undefined {
  if (!Array.isArray(items)) return items === undefined || items === null ? items : [items];
  let kept: unknown[] = items;
  const filters = Object.entries(args).filter(([k, v]) => !(k in PAGING_ARGS) && v !== undefined && v !== null);
  if (filters.length > 0)
    kept = kept.filter(
      (item) =>
        item !== null &&
        typeof item === 'object' &&
        filters.every(([k, v]) => String((item as Record<string, unknown>)[k]) === String(v as string)),
    );
  const offset = typeof args['_offset'] === 'number' ? Math.max(0, args['_offset']) : 0;
  const count = typeof args['_count'] === 'number' ? Math.max(0, args['_count']) : undefined;
  return kept.slice(offset, count === undefined ? undefined : offset + count);
}
