/**
 * EXPLAIN (ANALYZE, BUFFERS) of the `:below` searches bench/terminology-below.ts times, as the PostgreSQL store
 * compiles them (the token OR-list `:below` is rewritten to: a leaf, 11 and 111 codes of the ten-way tree), on a
 * database kept with `terminology-below.ts --database`.
 * Usage: npx tsx bench/terminology-below-explain.ts <database name>
 */
import pg from 'pg';
import { pageStatement } from '../server/store/postgres/search/run-search.js';
import type { SearchQuery } from '../server/fhir/search/search-query.js';

const SYSTEM = 'http://example.org/bench-below';
const SIZE = 1000;
/** A code and every code below it in the generated ten-way tree (Cn's children are C10n … C10n+9). */
const below = (top: number): number[] => {
  const out = [top];
  for (let i = 0; i < out.length; i++)
    for (let k = 0; k < 10; k++) {
      const child = out[i]! * 10 + k;
      if (child < SIZE && child > out[i]!) out.push(child);
    }
  return out;
};
const [database] = process.argv.slice(2);
if (!database) {
  console.error('usage: npx tsx bench/terminology-below-explain.ts <database name>');
  process.exit(2);
}
const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${database}` });
await c.connect();
for (const top of [SIZE - 1, Math.floor((SIZE - 1) / 10), Math.floor((SIZE - 1) / 100)]) {
  const codes = below(top);
  const query: SearchQuery = {
    resourceTypes: ['Observation'],
    conditions: [
      {
        kind: 'token',
        param: 'code',
        negate: false,
        values: codes.map((n) => ({ match: 'code', system: SYSTEM, code: `C${n}` })),
      },
    ],
    sort: [],
    count: 20,
    total: 'none',
  };
  const q = pageStatement(query, 20);
  const r = await c.query({ text: `EXPLAIN (ANALYZE, BUFFERS) ${q.text}`, values: q.values });
  console.log(
    `== C${top}: ${codes.length} codes\n${r.rows.map((x: Record<string, string>) => x['QUERY PLAN']).join('\n')}`,
  );
}
await c.end();
