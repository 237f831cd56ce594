/**
 * On the PostgreSQL server a search by identifier alone (what HL7 look-ups and ifNoneExist conditions ask) is a named
 * statement kept prepared per connection (run-search.ts byIdentifierOnly): once PostgreSQL switched to its generic plan
 * every identifier still finds its own patient — not a deleted one, none for an unknown value — while a search by
 * name stays planned per request.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../../../testing/test-server.js';
import { oneConnectionServer, type OneConnectionServer } from '../../../testing/one-connection-server.js';

const MRN = 'urn:oid:2.16.840.1.113883.3.9999.1';

describe('identifier searches prepared on the PostgreSQL server: generic plan, same answers', () => {
  let one: OneConnectionServer;
  let server: TestServer;
  const idOf = new Map<string, string>();

  before(async () => {
    // one connection: every search runs on the session whose prepared statements are read below
    one = await oneConnectionServer();
    server = one.server;
    for (let i = 0; i < 12; i++) {
      const res = await server.fhir('/Patient', {
        method: 'POST',
        body: {
          resourceType: 'Patient',
          identifier: [{ system: MRN, value: `MRN-${i}` }],
          name: [{ family: `Identifier${i}`, given: ['Amna'] }],
          birthDate: `19${50 + i}-01-0${(i % 9) + 1}`,
        },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      idOf.set(`MRN-${i}`, res.body.id as string);
    }
  });

  after(async () => one?.close());

  const found = async (query: string): Promise<string[]> => {
    const res = await server.fhir(`/Patient?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return ((res.body.entry ?? []) as Array<{ resource: { id: string } }>).map((e) => e.resource.id).sort();
  };
  const preparedPlans = async (pattern: string) =>
    (
      await one.sql.query<{ name: string; generic_plans: number; custom_plans: number }>({
        text: `SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE name LIKE $1 ORDER BY name`,
        values: [pattern],
      })
    ).rows;

  it('finds each identifier once the generic plan is in use, with one value and with two', async () => {
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < 12; i++) {
        assert.deepEqual(await found(`identifier=${MRN}|MRN-${i}`), [idOf.get(`MRN-${i}`)], `round ${round}, MRN-${i}`);
        const j = (i + 5) % 12;
        assert.deepEqual(
          await found(`identifier=${MRN}|MRN-${i},${MRN}|MRN-${j}`),
          [idOf.get(`MRN-${i}`)!, idOf.get(`MRN-${j}`)!].sort(),
        );
      }
    assert.deepEqual(await found(`identifier=${MRN}|MRN-unknown`), []);
    assert.deepEqual(await found(`identifier=urn:other|MRN-3`), [], 'another system');
    const rows = await preparedPlans('fhir_search_identifier_%');
    assert.ok(rows.length >= 1, 'named identifier statements');
    for (const r of rows)
      assert.ok(
        Number(r.custom_plans) <= 5 && Number(r.generic_plans) >= 19,
        `the generic plan in use after five custom ones: ${JSON.stringify(rows)}`,
      );
  });

  it('does not find a deleted patient through the prepared plan', async () => {
    const gone = idOf.get('MRN-7')!;
    assert.equal((await server.fhir(`/Patient/${gone}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual(await found(`identifier=${MRN}|MRN-7`), []);
    assert.deepEqual(await found(`identifier=${MRN}|MRN-8`), [idOf.get('MRN-8')]);
  });

  it('leaves a search by name planned per request', async () => {
    for (let i = 0; i < 8; i++) assert.equal((await found(`name=Identifier1${i % 2}`)).length, 1);
    const named = await preparedPlans('fhir_search_%');
    assert.ok(
      named.every((r) => r.name.startsWith('fhir_search_identifier_')),
      `only identifier searches are named: ${named.map((r) => r.name).join(', ')}`,
    );
  });
});
