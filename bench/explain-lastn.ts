/**
 * EXPLAIN (ANALYZE, BUFFERS) of the statement(s) Observation/$lastn runs on the PostgreSQL store, compiled by the
 * store's own compiler (the walk through fhir_lastn, lastn-walk.ts), on a database kept by bench/lastn.ts --database: `patient=<id>&category=vital-signs`, run
 * twice (cold, then warm).
 * Usage: npx tsx bench/explain-lastn.ts <database> [patient=lp0] [max=3]
 */
import pg from 'pg';
import { parseSearch } from '../server/fhir/search/parse-search.js';
import { lastnWalkStatement, walkSubjects } from '../server/store/postgres/search/lastn-walk.js';
import { MAX_LASTN_MATCHES } from '../server/fhir/operations/lastn.js';
import { LASTN_PARAMS } from '../server/fhir/operations/lastn-groups.js';

const [db, patient = 'lp0'] = process.argv.slice(2);
if (!db) {
  console.error('usage: npx tsx bench/explain-lastn.ts <database> [patient]');
  process.exit(2);
}
const parsed = parseSearch(
  ['Observation'],
  [
    ['patient', patient],
    ['category', 'vital-signs'],
  ],
  { baseUrl: 'http://localhost' },
);
const max = Number(process.argv[4] ?? 3);
const newest = { ...LASTN_PARAMS, max };
const subjects = walkSubjects(parsed.query, newest);
if (!subjects) throw new Error('the query does not name its subjects plainly: no walk');
const statement = lastnWalkStatement(parsed.query, newest, subjects, MAX_LASTN_MATCHES + 1);
const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${db}` });
await c.connect();
try {
  console.log(statement.text);
  console.log(JSON.stringify(statement.values));
  // the first run reads what shared_buffers does not hold (a random patient of a large database), the second is warm
  for (const run of ['cold', 'warm']) {
    const { rows } = await c.query({ text: `EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`, values: statement.values });
    console.log(`-- ${run}`);
    console.log(rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n'));
  }
  // prepared (what a named statement of the pg driver does): after 5 custom plans the server may switch to a generic
  // plan (plan_cache_mode auto); the 7th execution shows which plan it kept and what planning is left
  const literal = (v: unknown) =>
    Array.isArray(v)
      ? c.escapeLiteral(`{${v.map((x) => JSON.stringify(String(x))).join(',')}}`)
      : c.escapeLiteral(String(v));
  await c.query(`PREPARE lastn_walk AS ${statement.text}`);
  const execute = `EXECUTE lastn_walk(${statement.values.map(literal).join(', ')})`;
  for (let i = 0; i < 6; i++) await c.query(execute);
  const { rows } = await c.query(`EXPLAIN (ANALYZE, BUFFERS) ${execute}`);
  console.log('-- prepared, 7th execution');
  console.log(rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n'));
  const plans = await c.query(
    `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'lastn_walk'`,
  );
  console.log(`-- plans of the prepared statement so far: ${JSON.stringify(plans.rows[0])}`);
} finally {
  await c.end();
}
