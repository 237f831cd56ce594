/**
 * Which target rows the projections own: every row they insert or rewrite is marked source = 'fhir'; rows the
 * services write keep source NULL and are never rewritten or removed by a projection.
 */

/** The ownership mark of projected rows; `REBUILDING` marks them, during a rebuild, until they are written again. */
export const OWNED = 'fhir';
export const REBUILDING = 'fhir_rebuilding';
/** Bookkeeping tables of the projections themselves (no source column). */
const UNMARKED = new Set(['fhir_reference_ids']);
export const owned = (table: string, values: Record<string, unknown>): Record<string, unknown> =>
  UNMARKED.has(table) ? values : { ...values, source: OWNED };
