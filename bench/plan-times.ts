/**
 * Planning and execution time of the bench's five searches (bench/http-figures.ts SEARCHES), as the server compiles
 * them, on a database kept with --keep-db: per search `repeat` runs of EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) over a
 * rotation of sampled patients; medians of planning ms, execution ms and shared buffers. Read-only.
 * Usage: npx tsx bench/plan-times.ts <database> [repeat=40] [search names, comma-separated]
 */
import pg from 'pg';
import { pageStatement } from '../server/store/postgres/search/run-search.js';
import { parseSearch } from '../server/fhir/search/parse-search.js';
import { SEARCHES, type SearchName } from './http-figures.js';

const [db, repeatArg = '40', namesArg] = process.argv.slice(2);
if (!db) {
  console.error('usage: npx tsx bench/plan-times.ts <database> [repeat] [names]');
  process.exit(2);
}
const repeat = Math.max(1, Number(repeatArg));
const names = (namesArg ? namesArg.split(',') : Object.keys(SEARCHES)) as SearchName[];
const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${db}` });
await c.connect();
const { rows: samples } = await c.query<{ id: string; family: string; code: string; date: string }>(
  `SELECT x.target_id AS id, p.content->'name'->0->>'family' AS family,
          (o.content->'code'->'coding'->0->>'system') || '|' || (o.content->'code'->'coding'->0->>'code') AS code,
          left(o.content->>'effectiveDateTime', 10) AS date
     FROM fhir_idx_reference x
     JOIN fhir_resource o ON o.resource_type = x.resource_type AND o.id = x.resource_id
     JOIN fhir_resource p ON p.resource_type = 'Patient' AND p.id = x.target_id
    WHERE x.resource_type = 'Observation' AND x.param = 'patient' AND o.content->>'effectiveDateTime' IS NOT NULL
      AND x.resource_id LIKE '%0'
    LIMIT 20`,
);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
type Plan = {
  Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number };
  'Planning Time': number;
  'Execution Time': number;
};
const out: Record<string, unknown> = { database: db, repeat, patients: samples.length };
for (const name of names) {
  const planning: number[] = [];
  const execution: number[] = [];
  const buffers: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const s = samples[i % samples.length]!;
    const path = SEARCHES[name]({ id: s.id, family: s.family, observation: { code: s.code, date: s.date } });
    const [type, query = ''] = path.split('?');
    const parsed = parseSearch([type!], [...new URLSearchParams(query).entries()]);
    const statement = pageStatement(parsed.query, parsed.query.count);
    const r = await c.query({
      text: 'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ' + statement.text,
      values: statement.values,
    });
    const plan = (r.rows[0] as { 'QUERY PLAN': Plan[] })['QUERY PLAN'][0]!;
    planning.push(plan['Planning Time']);
    execution.push(plan['Execution Time']);
    buffers.push(plan.Plan['Shared Hit Blocks'] + plan.Plan['Shared Read Blocks']);
  }
  out[name] = { planningMs: median(planning), executionMs: median(execution), buffers: median(buffers) };
}
console.log(JSON.stringify(out, null, 2));
await c.end();
