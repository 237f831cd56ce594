/**
 * EXPLAIN (ANALYZE, BUFFERS) of the searches bench/arabic-names.ts times, parsed and compiled by the server's own
 * parser and the PostgreSQL store's compiler, on a database it loaded (--database): `Patient?name=<Arabic>` and
 * `Patient?phonetic=<Latin>`, page of 20, plus each one's count statement with --count.
 * Usage: npx tsx bench/explain-arabic.ts <database> [--name محمد] [--phonetic Mohammed] [--count]
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parseSearch } from '../server/fhir/search/parse-search.js';
import { countStatement, pageStatement } from '../server/store/postgres/search/run-search.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string', default: 'محمد' },
    phonetic: { type: 'string', default: 'Mohammed' },
    count: { type: 'boolean', default: false },
  },
});
const db = positionals[0];
if (!db) {
  console.error('usage: npx tsx bench/explain-arabic.ts <database> [--name x] [--phonetic x] [--count]');
  process.exit(2);
}
const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${db}` });
await c.connect();
const searches: Record<string, Array<[string, string]>> = {
  name: [['name', values.name]],
  phonetic: [['phonetic', values.phonetic]],
};
for (const [label, params] of Object.entries(searches)) {
  const { query } = parseSearch(['Patient'], params);
  const statements = {
    page: pageStatement(query, query.count),
    ...(values.count ? { count: countStatement(query) } : {}),
  };
  for (const [kind, q] of Object.entries(statements)) {
    console.log(`\n== ${label} ${kind}\n${q.text}\n${JSON.stringify(q.values)}`);
    const r = await c.query({ text: 'EXPLAIN (ANALYZE, BUFFERS) ' + q.text, values: q.values });
    console.log(r.rows.map((x: Record<string, string>) => x['QUERY PLAN']).join('\n'));
  }
}
await c.end();
