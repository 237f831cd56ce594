/**
 * EXPLAIN ANALYZE of searches the benchmark times, compiled by the PostgreSQL store's own compiler, on a database
 * kept with --keep-db: the chain `Encounter?subject:Patient.name=x` and `Encounter?patient=X&_sort=-date`.
 * Usage: npx tsx bench/explain-chain.ts <database> [family=Stamm704]
 */
import pg from 'pg';
import { pageStatement } from '../server/store/postgres/search/run-search.js';
import { normalizeString } from '../server/fhir/indexing/normalize.js';
import type { Condition, SearchQuery, SortKey } from '../server/fhir/search/search-query.js';

const [db, family = 'Stamm704'] = process.argv.slice(2);
if (!db) {
  console.error('usage: npx tsx bench/explain-chain.ts <database> [family]');
  process.exit(2);
}
const statement = (type: string, conditions: Condition[], sort: SortKey[] = []) =>
  pageStatement({ resourceTypes: [type], conditions, sort, count: 20, total: 'none' } satisfies SearchQuery, 20);
const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${db}` });
await c.connect();
const patient = (
  await c.query(
    `SELECT target_id FROM fhir_idx_reference WHERE resource_type = 'Encounter' AND param = 'patient' LIMIT 1`,
  )
).rows[0]?.target_id as string;
const queries = {
  chain: statement('Encounter', [
    {
      kind: 'chain',
      param: 'subject',
      targetTypes: ['Patient'],
      where: [{ kind: 'string', param: 'name', match: 'prefix', values: [normalizeString(family)] }],
    },
  ]),
  encounterByPatientSorted: statement(
    'Encounter',
    [{ kind: 'reference', param: 'patient', values: [{ match: 'literal', targetType: 'Patient', targetId: patient }] }],
    [{ kind: 'date', param: 'date', descending: true }],
  ),
};
for (const [name, q] of Object.entries(queries)) {
  console.log(`\n== ${name}\n${q.text}\n${JSON.stringify(q.values)}`);
  const r = await c.query({ text: 'EXPLAIN (ANALYZE, BUFFERS) ' + q.text, values: q.values });
  console.log(r.rows.map((x: Record<string, string>) => x['QUERY PLAN']).join('\n'));
}
await c.end();
