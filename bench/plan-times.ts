/**
 * Planning and execution time of the bench's five searches (bench/http-figures.ts SEARCHES), as the server compiles
 * them, on a database kept with --keep-db: per search `repeat` runs of EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) over a
 * rotation of sampled patients (bench/sample-patients.ts, as read-search-figures.ts); medians of planning ms, execution ms and shared buffers. Read-only.
 * Usage: npx tsx bench/plan-times.ts <database> [repeat=40] [search names, comma-separated]
 */
import pg from 'pg';
import { pageStatement } from '../server/store/postgres/search/run-search.js';
import { parseSearch } from '../server/fhir/search/parse-search.js';
import { SEARCHES, type SearchName } from './http-figures.js';
import { samplePatients } from './sample-patients.js';

const [db, repeatArg = '40', namesArg] = process.argv.slice(2);
if (!db) {
  console.error('usage: npx tsx bench/plan-times.ts <database> [repeat] [names]');
  process.exit(2);
}
const repeat = Math.max(1, Number(repeatArg));
const names = (namesArg ? namesArg.split(',') : Object.keys(SEARCHES)) as SearchName[];
const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${db}` });
await c.connect();
// the patients the bench and read-search-figures.ts sample (a fixed table sample), not the first ones loaded: those are
// the ingested originals, whose family is a prefix of every copy's (a chain over all of them)
const samples = await samplePatients(`postgres://postgres@127.0.0.1:5432/${db}`, 200);
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
    const pool = name === 'observationByPatientCodeDate' ? samples.filter((p) => p.observation) : samples;
    const path = SEARCHES[name](pool[(i * 7919) % pool.length]!);
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
