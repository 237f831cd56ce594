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
 *
 * Observations of a subject with a `code` of a given system (the bench's `Observation?patient&code&date`): the
 * candidates are read from fhir_lastn instead (lastnLead), where every current Observation of a subject has a row —
 * with its code when it has a single subject and a single coded code, with code NULL otherwise (lastn-keys.ts) — so
 * the subject's rows with that code or none are a superset of the matches, found in fhir_lastn_newest's index
 * without one probe per Observation of the record; every condition (the subject's too) is then probed on them.
 */
import type { Condition, SearchQuery } from '../../../fhir/search/search-query.js';
import { LASTN_KEYED, subjectCondition } from '../../lastn-keys.js';
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
  const type = params.bind(query.resourceTypes[0], 'text');
  const keyed = lastnLead(query, tokens, type, params);
  // the conditions probed on the lead's ids before the resource row is read: the tokens (and with fhir_lastn's
  // superset, the subject condition itself); the rest afterwards, on the few ids left
  const probed = keyed ? [...tokens, keyed.subject] : tokens;
  const ids =
    keyed?.ids ??
    `SELECT DISTINCT l.resource_id AS id FROM ${tableOf(lead)} l WHERE l.resource_type = ${type} AND l.param = ${params.bind(lead.param, 'text')} AND ${entryPredicate(lead, 'l', params)} ORDER BY 1 OFFSET 0`;
  const rest = query.conditions.filter((c) => !probed.includes(c) && (keyed || c !== lead));
  // each level fenced with OFFSET 0, so that the planner keeps this order instead of its own
  const coded = compileConditions(probed, { type, id: 'lk.id', lastUpdatedMs: 'NULL', probe: true }, params);
  const led = `(SELECT lk.id FROM (${ids}) lk WHERE ${coded} OFFSET 0) lk JOIN fhir_resource ${alias(row)} ON ${row.type} = ${type} AND ${row.id} = lk.id`;
  const others = compileConditions(rest, { ...row, probe: true }, params);
  const where = [`NOT ${alias(row)}.deleted`, `${row.type} = ${type}`, others].filter((w) => w !== TRUE);
  return { from: led, where: allOf(where) };
}

/**
 * The ids of fhir_lastn that hold every match (a superset), when the query is about the type fhir_lastn keeps, names
 * its subjects plainly (lastn-keys.ts subjectCondition) and has a `code` condition whose values all name a system
 * (`system|code`, `|code`): per subject, its rows with one of those codes (`system\tcode`, the key lastn-keys.ts
 * writes) and its rows without a code. Undefined otherwise (a code of any system has no key to look up).
 */
function lastnLead(
  query: SearchQuery,
  tokens: readonly Extract<Condition, { kind: 'token' }>[],
  type: string,
  params: SqlParams,
): { ids: string; subject: Condition } | undefined {
  if (query.resourceTypes[0] !== LASTN_KEYED.resourceType) return undefined;
  const subject = subjectCondition(query.conditions);
  const code = tokens.find(
    (c) =>
      c.param === LASTN_KEYED.code &&
      c.values.length > 0 &&
      c.values.every((v) => v.match === 'code' && v.code !== undefined && v.system !== undefined),
  );
  if (!subject || !code) return undefined;
  const keys = code.values.map((v) => (v.match === 'code' ? `${v.system ?? ''}\t${v.code}` : ''));
  const of = (where: string) =>
    `SELECT n.resource_id FROM fhir_lastn n WHERE n.resource_type = ${type} AND n.subject = s.subject AND ${where}`;
  // LATERAL per subject: subject and code stay in fhir_lastn_newest's index condition
  const ids = `SELECT DISTINCT k.resource_id AS id FROM unnest(${params.bind(subject.keys, 'text[]')}) s(subject) CROSS JOIN LATERAL (${of(`n.code = ANY(${params.bind([...new Set(keys)], 'text[]')})`)} UNION ALL ${of('n.code IS NULL')} OFFSET 0) k ORDER BY 1 OFFSET 0`;
  return { ids, subject: query.conditions[subject.index]! };
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
