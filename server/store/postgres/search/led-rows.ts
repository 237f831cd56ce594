/**
 * The rows a page is chosen from when a search names one record and a code in it (`Observation?patient=X&code=Y…`,
 * `Condition?patient=X&code=Y`): led by the reference, then each token condition probed, then the rest.
 *
 * Left to itself the planner joins the reference's entries to a per-row probe of every other condition in the order
 * of its estimates, which are blind here (one row each): measured at 110k resources, a patient with 255 Observations
 * had its date probed 255 times and its code 234 times (2,765 buffers) to find 1 Observation with that code in the
 * range. Led: the reference's ids (the record, read in full as before), each probed for the code (255 probes), and
 * only those few for current/not deleted and the dates — 1,081 buffers. Same rows: the lead is the reference
 * condition's own EXISTS turned into the set of ids it holds, and every other condition is compiled as before, as a
 * per-row probe (RowRef.probe). Used only with a single resource type, a reference to literal targets (its matches are
 * one record's entries, not a scan) and at least one positive token condition; otherwise undefined (the plain WHERE).
 */
import type { Condition, SearchQuery } from '../../../fhir/search/search-query.js';
import { compileConditions } from './compile-condition.js';
import { entryPredicate, isNegated, tableOf } from './entry-predicates.js';
import { allOf, TRUE, type RowRef, type SqlParams } from './sql-params.js';

export function ledRows(
  query: SearchQuery,
  row: RowRef,
  params: SqlParams,
): { from: string; where: string } | undefined {
  if (query.resourceTypes.length !== 1) return undefined;
  const lead = query.conditions.find(isLiteralReference);
  const tokens = query.conditions.filter(isPositiveToken);
  if (!lead || tokens.length === 0) return undefined;
  const rest = query.conditions.filter((c) => c !== lead && !isPositiveToken(c));
  const type = params.bind(query.resourceTypes[0], 'text');
  const ids = `SELECT DISTINCT l.resource_id AS id FROM ${tableOf(lead)} l WHERE l.resource_type = ${type} AND l.param = ${params.bind(lead.param, 'text')} AND ${entryPredicate(lead, 'l', params)} ORDER BY 1 OFFSET 0`;
  // each level fenced with OFFSET 0, so that the planner keeps this order instead of its own
  const coded = compileConditions(tokens, { type, id: 'lk.id', lastUpdatedMs: 'NULL', probe: true }, params);
  const led = `(SELECT lk.id FROM (${ids}) lk WHERE ${coded} OFFSET 0) lk JOIN fhir_resource ${alias(row)} ON ${row.type} = ${type} AND ${row.id} = lk.id`;
  const others = compileConditions(rest, { ...row, probe: true }, params);
  const where = [`NOT ${alias(row)}.deleted`, `${row.type} = ${type}`, others].filter((w) => w !== TRUE);
  return { from: led, where: allOf(where) };
}

function isLiteralReference(c: Condition): c is Extract<Condition, { kind: 'reference' }> {
  return c.kind === 'reference' && c.values.length > 0 && c.values.every((v) => v.match === 'literal');
}

function isPositiveToken(c: Condition): c is Extract<Condition, { kind: 'token' }> {
  return c.kind === 'token' && !isNegated(c);
}

/** `r` of `r.resource_type`. */
function alias(row: RowRef): string {
  return row.type.split('.')[0]!;
}
