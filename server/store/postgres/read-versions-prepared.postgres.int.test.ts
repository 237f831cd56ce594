/**
 * On the PostgreSQL server readCurrentMany and readMany (read-versions.ts) are planned once per connection: with 1 to
 * 7 keys, as an HL7 message's look-ups and a transaction's prefetch ask, PostgreSQL switches to the generic plan after
 * five custom ones; that plan probes the index (no scan of the table) and still answers every key set exactly —
 * delete versions only from readCurrentMany, an unknown key or another type's id not at all.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oneConnectionServer, type OneConnectionServer } from '../../testing/one-connection-server.js';
import type { ResourceKey } from '../resource-store.js';

describe('reads of many keys prepared on the PostgreSQL server: generic plan, same answers', () => {
  let one: OneConnectionServer;
  const keys: ResourceKey[] = [];

  before(async () => {
    // one connection: every read runs on the session whose prepared statements are read below
    one = await oneConnectionServer();
    for (let i = 0; i < 8; i++) {
      const resourceType = i % 2 ? 'Observation' : 'ServiceRequest';
      const body =
        resourceType === 'Observation'
          ? { resourceType, status: 'final', code: { text: `result ${i}` } }
          : { resourceType, status: 'active', intent: 'order', subject: { display: `order ${i}` } };
      const res = await one.server.fhir(`/${resourceType}`, { method: 'POST', body });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      keys.push({ resourceType, id: res.body.id as string });
    }
    assert.equal((await one.server.fhir(`/${keys[7]!.resourceType}/${keys[7]!.id}`, { method: 'DELETE' })).status, 204);
    // a table of some size, analysed: on a handful of rows every plan is a scan of them, whatever it estimates
    for (let batch = 0; batch < 4; batch++) {
      const entry = Array.from({ length: 500 }, () => ({
        resource: { resourceType: 'Observation', status: 'final', code: { text: 'filler' } },
        request: { method: 'POST', url: 'Observation' },
      }));
      const res = await one.server.fhir('/', {
        method: 'POST',
        body: { resourceType: 'Bundle', type: 'batch', entry },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 500));
    }
    await one.sql.query({ text: 'ANALYZE fhir_resource', values: [] });
  });

  after(async () => one?.close());

  const summary = (versions: Array<{ resourceType: string; id: string; deleted: boolean }>) =>
    versions.map((v) => `${v.resourceType}/${v.id}${v.deleted ? ' deleted' : ''}`).sort();
  const expected = (wanted: ResourceKey[], withDeleted: boolean) =>
    wanted
      .filter((k) => k.id !== keys[7]!.id || withDeleted)
      .filter((k) => keys.some((s) => s.resourceType === k.resourceType && s.id === k.id))
      .map((k) => `${k.resourceType}/${k.id}${k.id === keys[7]!.id ? ' deleted' : ''}`)
      .sort();

  it('answers 1 to 7 keys exactly before and after the switch to the generic plan', async () => {
    for (let round = 0; round < 12; round++) {
      const n = (round % 7) + 1;
      const wanted: ResourceKey[] = [
        ...keys.slice(round % 2, (round % 2) + n),
        { resourceType: 'Observation', id: `unknown-${round}` },
        // an existing id under another type is not that resource
        { resourceType: keys[0]!.resourceType === 'Observation' ? 'ServiceRequest' : 'Observation', id: keys[0]!.id },
      ];
      assert.deepEqual(summary(await one.store.readCurrentMany(wanted)), expected(wanted, true), `round ${round}`);
      assert.deepEqual(summary(await one.store.readMany(wanted)), expected(wanted, false), `round ${round}`);
    }
    const { rows } = await one.sql.query<{ name: string; generic_plans: number; custom_plans: number }>({
      text: `SELECT name, generic_plans, custom_plans FROM pg_prepared_statements
             WHERE name IN ('fhir_read_current_many', 'fhir_read_many') ORDER BY name`,
      values: [],
    });
    assert.equal(rows.length, 2, JSON.stringify(rows));
    for (const r of rows)
      assert.ok(
        Number(r.custom_plans) <= 5 && Number(r.generic_plans) >= 7,
        `the generic plan in use after five custom ones: ${JSON.stringify(rows)}`,
      );
    // and that plan probes the keys, it does not scan the table (a plan assuming 100 keys did, on 2,000 rows)
    const plan = await one.sql.query<{ 'QUERY PLAN': string }>({
      text: `EXPLAIN EXECUTE fhir_read_current_many('{Observation}', '{${keys[1]!.id}}')`,
      values: [],
    });
    const lines = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    assert.match(lines, /Index (Only )?Scan/, lines);
    assert.doesNotMatch(lines, /Seq Scan on fhir_resource/, lines);
  });
});
