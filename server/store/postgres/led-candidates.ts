/**
 * searchAny() for the blocking searches of patient matching (fhir/matching/match-patients.ts: identifier, phone,
 * phonetic name + birth date led by the birth date, name pair + gender led by the pair) as ONE statement whose text
 * never changes, prepared once per connection (`name`): the generic statement (search/search-any.ts) had a new text
 * for most creates (182 texts in 1,300), and its parse and planning were 2.4 of its 3.7 ms of PostgreSQL CPU per
 * created Patient (bench/statement-cpu.ts).
 * - The values travel as arrays, each search is a row of them (its number `q`); every step is fenced (LATERAL …
 *   OFFSET 0, or ORDER BY … LIMIT), so each search is driven from its lead's index lookups, each id's current row
 *   looked up, the other conditions probed per row, and the first `count` taken by id — whatever PostgreSQL
 *   estimates. The name-pair lead (`phonetic~pair`, which every namesake shares: thousands for محمد أحمد علي) is
 *   walked in id order and stopped at the `count`th id that meets the search: reading every namesake before the LIMIT
 *   made each create of a common name cost O(namesakes) — 250 ms of PostgreSQL CPU per create in `npm run bench`. The resource type is a constant; every bound value is read through `(SELECT $n)`, which the planner
 *   cannot look into: a custom plan is then the generic plan and costs as much, so PostgreSQL keeps the generic one
 *   after its first five executions instead of planning every execution (0.5–0.8 ms each, measured at 600
 *   patients). A plan made on an almost empty store is re-planned when the store's statistics change (statistics.ts
 *   runs ANALYZE on growth; PostgreSQL re-plans a prepared statement when its tables' statistics change).
 * - A token or date lead's ids are probed first, then looked up in fhir_resource (current, not deleted): the probes reject
 *   most of a birth date's patients (another name), so their current-row lookup is skipped — 877 → 674 buffers per
 *   duplicate check of a distinct person among 300,000 patients (EXPLAIN (ANALYZE, BUFFERS), 40 creates).
 * - Same rows as searchAnyStatement: each search's first `count` current resources by id (the plain and the led
 *   branch of search-any.ts agree on that), the union read once.
 * - It answers only Patient searches of the shapes below, all with the same count, without sort, cursor or time
 *   budget, and answers undefined for anything else (the generic statement then):
 *   - lead: the condition named by `lead`, or the only condition — token codes (`system|code` or any-system code),
 *     `phonetic~pair` `equals` keys, or a date range list whose arms are `low ≥ A and high ≤ B` (whole numbers);
 *   - probes: the other conditions — string `equals` keys (or an AND of them: a phonetic word of several parts) or
 *     token codes; a condition that matches nothing (an OR of nothing) drops its search.
 * Tested against the searches one by one and the generic statement in fhir/matching/led-candidates.int.test.ts.
 */
import type { Condition, SearchQuery } from '../../fhir/search/search-query.js';
import type { StoredVersion } from '../resource-store.js';
import { toStoredVersion, type VersionRow } from './read-versions.js';
import type { SqlClient, SqlStatement } from './sql-client.js';
import { PAGE_COLUMNS } from './search/run-search.js';
import { pgArray } from './pg-array.js';
import { phoneticPairParam } from '../../fhir/indexing/text/name-parameters.js';

/** The arrays the statement reads (one element per value, tagged by search number `q` or probe number `g`). */
class Inputs {
  queries: number[] = [];
  tokenLead = { q: [] as number[], param: [] as string[], system: [] as Array<string | null>, code: [] as string[] };
  /** the name-pair key of patient matching (the only string lead: walked in id order through fhir_idx_string_pair) */
  pairLead = { q: [] as number[], value: [] as string[] };
  dateLead = { q: [] as number[], param: [] as string[], low: [] as number[], high: [] as number[] };
  /** one row per probe (a condition every row must meet): its search, param and kind */
  probes = { q: [] as number[], param: [] as string[], kind: [] as Array<'string' | 'token'> };
  /** the values of the probes: `g` is the probe's index + 1 */
  stringProbe = { g: [] as number[], value: [] as string[] };
  tokenProbe = { g: [] as number[], system: [] as Array<string | null>, code: [] as string[] };
}

type Token = Extract<Condition, { kind: 'token' }>;
type Str = Extract<Condition, { kind: 'string' }>;
type DateCondition = Extract<Condition, { kind: 'date' }>;

const NOTHING = 'nothing' as const;

/** The name-pair key (its param is in the predicate of the index fhir_idx_string_pair, schema.ts). */
const PAIR_PARAM = phoneticPairParam('phonetic');

/** The statement's inputs, or undefined when a search is not of a shape it answers. */
export function ledCandidateInputs(queries: SearchQuery[]): { count: number; inputs: Inputs } | undefined {
  const asked = queries.filter((query) => Math.floor(query.count) > 0);
  const first = asked[0];
  if (!first) return undefined;
  const count = Math.floor(first.count);
  const inputs = new Inputs();
  for (const [i, query] of asked.entries()) {
    if (query.resourceTypes.length !== 1 || query.resourceTypes[0] !== 'Patient' || Math.floor(query.count) !== count)
      return undefined;
    if (query.sort.length > 0 || query.cursor !== undefined || query.timeoutMs !== undefined) return undefined;
    const leadIndex = query.lead ?? (query.conditions.length === 1 ? 0 : -1);
    const lead = query.conditions[leadIndex];
    if (!lead) return undefined;
    const probes = query.conditions.filter((_, j) => j !== leadIndex).map(probeValues);
    if (probes.includes(undefined)) return undefined;
    const leadAdded = addLead(inputs, i + 1, lead);
    if (leadAdded === undefined) return undefined;
    if (leadAdded === NOTHING || probes.includes(NOTHING)) continue; // this search matches nothing
    inputs.queries.push(i + 1);
    for (const probe of probes as Probe[])
      for (const part of probe) {
        inputs.probes.q.push(i + 1);
        inputs.probes.param.push(part.param);
        inputs.probes.kind.push(part.kind);
        const g = inputs.probes.q.length;
        if (part.kind === 'string')
          for (const value of part.values) {
            inputs.stringProbe.g.push(g);
            inputs.stringProbe.value.push(value);
          }
        else
          for (const { system, code } of part.values) {
            inputs.tokenProbe.g.push(g);
            inputs.tokenProbe.system.push(system);
            inputs.tokenProbe.code.push(code);
          }
      }
  }
  return { count, inputs };
}

type ProbePart =
  | { kind: 'string'; param: string; values: string[] }
  | { kind: 'token'; param: string; values: Array<{ system: string | null; code: string }> };
type Probe = ProbePart[];

/** A probe condition as parts every row must meet; NOTHING when it matches no row; undefined: not answered here. */
function probeValues(condition: Condition): Probe | typeof NOTHING | undefined {
  if (condition.kind === 'or' && condition.any.length === 0) return NOTHING;
  const parts = condition.kind === 'and' ? condition.all : [condition];
  const probe: Probe = [];
  for (const part of parts) {
    if (part.kind === 'string' && part.match === 'equals') {
      if (part.values.length === 0) return NOTHING;
      probe.push({ kind: 'string', param: part.param, values: part.values });
    } else if (part.kind === 'token') {
      const codes = tokenCodes(part);
      if (!codes) return undefined;
      if (codes.length === 0) return NOTHING;
      probe.push({ kind: 'token', param: part.param, values: codes });
    } else return undefined;
  }
  return probe;
}

function addLead(inputs: Inputs, q: number, lead: Condition): true | typeof NOTHING | undefined {
  if (lead.kind === 'token') {
    const codes = tokenCodes(lead);
    if (!codes) return undefined;
    for (const { system, code } of codes) {
      inputs.tokenLead.q.push(q);
      inputs.tokenLead.param.push(lead.param);
      inputs.tokenLead.system.push(system);
      inputs.tokenLead.code.push(code);
    }
    return codes.length === 0 ? NOTHING : true;
  }
  if (lead.kind === 'string')
    return lead.match === 'equals' && lead.param === PAIR_PARAM ? addPairLead(inputs, q, lead) : undefined;
  if (lead.kind === 'date') return addDateLead(inputs, q, lead);
  return undefined;
}

function addPairLead(inputs: Inputs, q: number, lead: Str): true | typeof NOTHING {
  for (const value of lead.values) {
    inputs.pairLead.q.push(q);
    inputs.pairLead.value.push(value);
  }
  return lead.values.length === 0 ? NOTHING : true;
}

/** Arms `low ≥ A and high ≤ B` (whole numbers) only: compiled by range-match.ts as low and high both in [A, B]. */
function addDateLead(inputs: Inputs, q: number, lead: DateCondition): true | typeof NOTHING | undefined {
  const arms: Array<[number, number]> = [];
  for (const arm of lead.match) {
    const low = arm.find((c) => c.field === 'low' && c.op === 'ge');
    const high = arm.find((c) => c.field === 'high' && c.op === 'le');
    if (arm.length !== 2 || !low || !high || !Number.isSafeInteger(low.value) || !Number.isSafeInteger(high.value))
      return undefined;
    arms.push([low.value, high.value]);
  }
  for (const [low, high] of arms) {
    inputs.dateLead.q.push(q);
    inputs.dateLead.param.push(lead.param);
    inputs.dateLead.low.push(low);
    inputs.dateLead.high.push(high);
  }
  return arms.length === 0 ? NOTHING : true;
}

/** Codes with a system or any system (`system|code`, `code`); undefined for `:not`, `|code`, text or of-type. */
function tokenCodes(condition: Token): Array<{ system: string | null; code: string }> | undefined {
  if (condition.negate) return undefined;
  const codes: Array<{ system: string | null; code: string }> = [];
  for (const value of condition.values) {
    if (value.match !== 'code' || value.code === undefined || value.system === null) return undefined;
    codes.push({ system: value.system ?? null, code: value.code });
  }
  return codes;
}

/**
 * What an id found by a lead must meet in search `b.q`: a current Patient (a lookup of the primary key) and every probe
 * of the search (per probe, a lookup of the (resource_type, resource_id, param …) index). `OFFSET 0` keeps each EXISTS a
 * per-row lookup (never turned into a join that gathers a table).
 * A probe reads the id's rows of the param (fenced: resource, type and param only), then compares their values: given
 * the value too, the generic plan is free to probe the value-led index instead (fhir_idx_token_code: (type, param,
 * code) with a filter on the id), and on an 800k-resource database it did — each gender probe walked thousands of
 * patients of that gender before reaching the id: 20 ms per duplicate check, 12.9 ms of PostgreSQL per create in the
 * bench instead of ~1.3.
 */
const meets = (id: string) => `${current(id)}
    AND ${probesMet(id)}`;

/** A current (not deleted) Patient: a lookup of fhir_resource's index. */
const current = (id: string) => `EXISTS (SELECT 1 FROM fhir_resource cr WHERE cr.resource_type = 'Patient'
      AND cr.id = ${id} AND NOT cr.deleted OFFSET 0)`;

/** Every probe of search `b.q` met by `id`. */
const probesMet = (id: string) => `NOT EXISTS (
    SELECT 1 FROM unnest((SELECT $13::int[]), (SELECT $14::text[]), (SELECT $15::text[])) WITH ORDINALITY g(q, param, kind, n)
    WHERE g.q = b.q AND NOT (CASE g.kind
      WHEN 'string' THEN EXISTS (SELECT 1 FROM unnest((SELECT $16::int[]), (SELECT $17::text[])) k(g, value)
        WHERE k.g = g.n AND EXISTS (SELECT 1 FROM (SELECT ps.value FROM fhir_idx_string ps WHERE ps.resource_type = 'Patient'
          AND ps.resource_id = ${id} AND ps.param = g.param OFFSET 0) ps WHERE ps.value = k.value))
      ELSE EXISTS (SELECT 1 FROM unnest((SELECT $18::int[]), (SELECT $19::text[]), (SELECT $20::text[])) k(g, system, code)
        WHERE k.g = g.n AND EXISTS (SELECT 1 FROM (SELECT pt.system, pt.code FROM fhir_idx_token pt
          WHERE pt.resource_type = 'Patient' AND pt.resource_id = ${id} AND pt.param = g.param OFFSET 0) pt
          WHERE pt.code = k.code AND (k.system IS NULL OR pt.system = k.system)))
    END))`;

/**
 * The text ($1 the count, then the arrays). Per search `b.q`, the ids of its lead that meet the search, then the
 * first `count` of them by id:
 * - token and date leads: each value an index lookup of its own (fenced), every id found checked (one check for both:
 *   each copy of the check is planned again, and planning is the statement's cost whenever it is re-planned);
 * - the name-pair lead: per value, a walk of fhir_idx_string_pair in id order, each id checked as it comes, stopped at
 *   the `count`th that meets the search — so a name thousands share costs about `count` lookups, not thousands (the
 *   first `count` by id of the union of the values are among the first `count` of each value).
 * Then the rows.
 */
export const LED_CANDIDATES_TEXT = `SELECT ${PAGE_COLUMNS.join(', ')}
FROM (SELECT DISTINCT p.id FROM unnest((SELECT $2::int[])) b(q) CROSS JOIN LATERAL (
  SELECT DISTINCT l.id FROM (
    SELECT f.id FROM (SELECT f.id FROM (
      SELECT e.id FROM unnest((SELECT $3::int[]), (SELECT $4::text[]), (SELECT $5::text[]), (SELECT $6::text[])) v(q, param, system, code)
        CROSS JOIN LATERAL (SELECT lt.resource_id AS id FROM fhir_idx_token lt WHERE lt.resource_type = 'Patient'
          AND lt.param = v.param AND lt.code = v.code AND (v.system IS NULL OR lt.system = v.system) OFFSET 0) e
        WHERE v.q = b.q
      UNION ALL
      SELECT e.id FROM unnest((SELECT $9::int[]), (SELECT $10::text[]), (SELECT $11::bigint[]), (SELECT $12::bigint[])) v(q, param, low, high)
        CROSS JOIN LATERAL (SELECT ld.resource_id AS id FROM fhir_idx_date ld WHERE ld.resource_type = 'Patient'
          AND ld.param = v.param AND ld.low >= v.low AND ld.low <= v.high AND ld.high <= v.high AND ld.high >= v.low OFFSET 0) e
        WHERE v.q = b.q
      OFFSET 0) f
    WHERE ${probesMet('f.id')} OFFSET 0) f
    WHERE ${current('f.id')}
    UNION ALL
    SELECT e.id FROM unnest((SELECT $7::int[]), (SELECT $8::text[])) v(q, value)
      CROSS JOIN LATERAL (SELECT DISTINCT ls.resource_id AS id FROM fhir_idx_string ls WHERE ls.resource_type = 'Patient'
        AND ls.param = '${PAIR_PARAM}' AND ls.value = v.value AND ${meets('ls.resource_id')}
        ORDER BY ls.resource_id LIMIT (SELECT $1::int)) e
      WHERE v.q = b.q
  ) l
  ORDER BY l.id LIMIT (SELECT $1::int)) p) k
CROSS JOIN LATERAL (SELECT ${PAGE_COLUMNS.join(', ')} FROM fhir_resource r
  WHERE r.resource_type = 'Patient' AND r.id = k.id OFFSET 0) r`;

/** The prepared statement's name on every connection. */
const NAME = 'fhir_led_candidates_2';

/** The statement for `queries`, or undefined when one of them is not of a shape it answers (exported for tests). */
export function ledCandidatesStatement(queries: SearchQuery[]): SqlStatement | undefined {
  const found = ledCandidateInputs(queries);
  return found && statementOf(found);
}

function statementOf({ count, inputs: i }: { count: number; inputs: Inputs }): SqlStatement {
  return {
    name: NAME,
    text: LED_CANDIDATES_TEXT,
    // the arrays as literals (pg-array.ts: one pass, not the driver's per-element conversion)
    values: [
      count,
      ...[
        i.queries,
        i.tokenLead.q,
        i.tokenLead.param,
        i.tokenLead.system,
        i.tokenLead.code,
        i.pairLead.q,
        i.pairLead.value,
        i.dateLead.q,
        i.dateLead.param,
        i.dateLead.low,
        i.dateLead.high,
        i.probes.q,
        i.probes.param,
        i.probes.kind,
        i.stringProbe.g,
        i.stringProbe.value,
        i.tokenProbe.g,
        i.tokenProbe.system,
        i.tokenProbe.code,
      ].map(pgArray),
    ],
  };
}

/** The candidates through the fixed statement, or undefined when the searches are not of its shapes. */
export async function runLedCandidates(
  client: SqlClient,
  queries: SearchQuery[],
): Promise<StoredVersion[] | undefined> {
  const found = ledCandidateInputs(queries);
  if (!found) return undefined;
  if (found.inputs.queries.length === 0) return [];
  const { rows } = await client.query<VersionRow>(statementOf(found));
  return rows.map((r) => toStoredVersion(r));
}
