/**
 * `_contained` and `_containedType` (R4 search.html#contained). This server searches top-level resources only: it
 * does not index the resources inside `contained`, so it cannot say which contained resource matches a search.
 * Accepted: `_contained=false` (the default: only resources that are not contained are searched and returned) and
 * `_containedType=container` (the default: a container is returned whole). Refused with a 400 OperationOutcome,
 * under lenient handling too (ignoring them would answer containers where contained resources were asked for):
 * `_contained=true|both` and `_containedType=contained`, which need the contained resources indexed; and any other
 * value or a modifier.
 */
import { badRequest } from '../errors.js';

export const CONTAINED_PARAMS = ['_contained', '_containedType'] as const;

const ALLOWED = {
  _contained: { values: ['false', 'true', 'both'], supported: 'false' },
  _containedType: { values: ['container', 'contained'], supported: 'container' },
} as const satisfies Record<(typeof CONTAINED_PARAMS)[number], { values: readonly string[]; supported: string }>;

const WHY = 'this server searches and returns top-level resources only (resources inside contained are not indexed)';

/** Checks one `_contained`/`_containedType` parameter; a supported value changes nothing in the search. */
export function checkContainedParam(name: string, value: string): void {
  const base = name.split(':')[0] as (typeof CONTAINED_PARAMS)[number];
  const { values, supported } = ALLOWED[base];
  if (name !== base) throw badRequest(`${name}: ${base} takes no modifier`, [name]);
  if (!(values as readonly string[]).includes(value))
    throw badRequest(`${base}: '${value.slice(0, 40)}' is not one of ${values.join(', ')}`, [name]);
  if (value !== supported) throw badRequest(`${base}=${value} is not supported: ${WHY}`, [name]);
}
