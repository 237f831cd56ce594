/** EXPLAIN ANALYZE of the chained search the benchmark times (Encounter?subject:Patient.name=x), on a database kept with --keep-db. Usage: npx tsx bench/explain-chain.ts <database> */
import pg from 'pg';
import { pageStatement } from '../server/store/postgres/search/run-search.js';
import { normalizeString } from '../server/fhir/indexing/normalize.js';
const db = process.argv[2]!;
const q = (conditions: any[], type: string, sort: any[] = []) => pageStatement({ resourceTypes: [type], conditions, sort, count: 20, total: 'none' } as any, 20);
const chain = q([{ kind: 'chain', param: 'subject', targetTypes: ['Patient'], where: [{ kind: 'string', param: 'name', match: 'prefix', values: [normalizeString('Stamm704')] }] }], 'Encounter');
const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${db}` });
await c.connect();
console.log(chain.text, JSON.stringify(chain.values));
const r = await c.query({ text: 'EXPLAIN (ANALYZE, BUFFERS) ' + chain.text, values: chain.values });
console.log(r.rows.map((x: any) => x['QUERY PLAN']).join('\n'));
const n = await c.query(`select resource_type, count(*) from fhir_resource group by 1 order by 2 desc limit 6`);
console.log(n.rows);
await c.end();
