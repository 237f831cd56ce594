/**
 * EXPLAIN (ANALYZE, BUFFERS) of the searches the benchmark times (bench/http-figures.ts SEARCHES), parsed and
 * compiled exactly as the server does (parseSearch, then the PostgreSQL store's page statement), on a database kept
 * with --keep-db, for one sampled patient; `_include`'s second statement (readMany) too. Each statement runs
 * `repeat` times first (warm cache, as in the bench) and the last run's plan is printed with its execution time.
 * Usage: npx tsx bench/explain-chain.ts <database> [search names, comma-separated] [repeat=3]
 */
import pg from 'pg';
import { pageStatement } from '../server/store/postgres/search/run-search.js';
import { parseSearch } from '../server/fhir/search/parse-search.js';
import { SEARCHES, type SearchName } from './http-figures.js';

const [db, namesArg, repeatArg = '3'] = process.argv.slice(2);
if (!db) {
  console.error('usage: npx tsx bench/explain-chain.ts <database> [names] [repeat]');
  process.exit(2);
}
const names = (namesArg ? namesArg.split(',') : Object.keys(SEARCHES)) as SearchName[];
const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${db}` });
await c.connect();
const { rows } = await c.query<{ id: string; family: string; code: string; date: string }>(
  `SELECT x.target_id AS id, p.content->'name'->0->>'family' AS family,
          (o.content->'code'->'coding'->0->>'system') || '|' || (o.content->'code'->'coding'->0->>'code') AS code,
          left(o.content->>'effectiveDateTime', 10) AS date
     FROM fhir_idx_reference x
     JOIN fhir_resource o ON o.resource_type = x.resource_type AND o.id = x.resource_id
     JOIN fhir_resource p ON p.resource_type = 'Patient' AND p.id = x.target_id
    WHERE x.resource_type = 'Observation' AND x.param = 'patient' AND o.content->>'effectiveDateTime' IS NOT NULL
    OFFSET 5000 LIMIT 1`,
);
const sample = rows[0]!;
const patient = { id: sample.id, family: sample.family, observation: { code: sample.code, date: sample.date } };

async function explain(label: string, text: string, values: unknown[]) {
  const repeat = Math.max(1, Number(repeatArg));
  let plan = '';
  for (let i = 0; i < repeat; i++) {
    const r = await c.query({ text: 'EXPLAIN (ANALYZE, BUFFERS) ' + text, values });
    plan = r.rows.map((x: Record<string, string>) => x['QUERY PLAN']).join('\n');
  }
  console.log(`\n== ${label}\n${text}\n${JSON.stringify(values)}\n${plan}`);
}

for (const name of names) {
  const path = SEARCHES[name](patient);
  const [type, query = ''] = path.split('?');
  const parsed = parseSearch([type!], [...new URLSearchParams(query).entries()]);
  const statement = pageStatement(parsed.query, parsed.query.count);
  await explain(`${name}: ${path}`, statement.text, statement.values);
  if (parsed.includes.length > 0) {
    // the include's readMany of the page's targets, as server/store/postgres/read-versions.ts sends it
    const page = await c.query<{ content: { participant?: Array<{ individual?: { reference?: string } }> } }>(
      statement,
    );
    const targets = page.rows.flatMap((r) =>
      (r.content.participant ?? []).map((p) => p.individual?.reference?.split('/') ?? []),
    );
    await explain(
      `${name}: _include readMany of ${targets.length} targets`,
      `SELECT resource_type, id, version_id, last_updated, deleted, content, number_texts FROM fhir_resource
           WHERE (resource_type, id) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND NOT deleted`,
      [targets.map((t) => t[0]), targets.map((t) => t[1])],
    );
  }
}
await c.end();
