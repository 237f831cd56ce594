/**
 * On the PostgreSQL server the $lastn walk (server/store/postgres/search/lastn-walk.ts) is a named statement, kept
 * prepared per connection: once PostgreSQL switched to its generic plan (after five custom ones) the answers stay
 * those of the first requests, for several patients and two query shapes; and past the number of shapes it names, a
 * new shape is still answered (planned per request).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../../testing/test-server.js';
import { oneConnectionServer, type OneConnectionServer } from '../../testing/one-connection-server.js';
import { walkStatementName } from '../../store/postgres/search/lastn-walk.js';

const VITAL = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }],
};
const CODES = ['8867-4', '8480-6', '29463-7'];

describe('$lastn walk prepared on the PostgreSQL server: generic plan, same answers', () => {
  let one: OneConnectionServer;
  let server: TestServer;
  /** patient → code → ids newest first (as written) */
  const written = new Map<string, Map<string, string[]>>();
  const textOnly = new Map<string, string>();

  before(async () => {
    // one connection: every walk runs on the session whose prepared statements are read below
    one = await oneConnectionServer();
    server = one.server;
    for (const patient of ['p1', 'p2', 'p3']) {
      const byCode = new Map<string, string[]>();
      for (const [c, code] of CODES.entries())
        for (let day = 1; day <= 4; day++) {
          const res = await server.fhir('/Observation', {
            method: 'POST',
            body: {
              resourceType: 'Observation',
              status: 'final',
              category: [VITAL],
              code: { coding: [{ system: 'http://loinc.org', code }] },
              subject: { reference: `Patient/${patient}` },
              effectiveDateTime: `2024-0${c + 1}-0${day}`,
            },
          });
          assert.equal(res.status, 201);
          byCode.set(code, [res.body.id as string, ...(byCode.get(code) ?? [])]);
        }
      written.set(patient, byCode);
      // not rankable (no coded code): always among the answer, found by the walk's second part
      const text = await server.fhir('/Observation', {
        method: 'POST',
        body: {
          resourceType: 'Observation',
          status: 'final',
          category: [VITAL],
          code: { text: 'pulse by hand' },
          subject: { reference: `Patient/${patient}` },
          effectiveDateTime: '2024-05-05',
        },
      });
      textOnly.set(patient, text.body.id as string);
    }
  });

  after(async () => one?.close());

  const ids = async (query: string): Promise<string[]> => {
    const res = await server.fhir(`/Observation/$lastn?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return ((res.body.entry ?? []) as Array<{ resource: { id: string } }>).map((e) => e.resource.id).sort();
  };
  const expected = (patient: string, codes: string[], max: number, withText: boolean) =>
    [
      ...codes.flatMap((c) => written.get(patient)!.get(c)!.slice(0, max)),
      ...(withText ? [textOnly.get(patient)!] : []),
    ].sort();

  it('answers stay equal after the switch to the generic plan, for every patient and two shapes', async () => {
    for (let round = 0; round < 8; round++)
      for (const patient of ['p1', 'p2', 'p3']) {
        assert.deepEqual(
          await ids(`patient=${patient}&category=vital-signs&max=2`),
          expected(patient, CODES, 2, true),
          `round ${round}, ${patient}, category`,
        );
        assert.deepEqual(
          await ids(`patient=${patient}&code=http://loinc.org|${CODES[1]},http://loinc.org|${CODES[2]}&max=3`),
          expected(patient, [CODES[1]!, CODES[2]!], 3, false),
          `round ${round}, ${patient}, code`,
        );
      }
    const { rows } = await one.sql.query<{ name: string; generic_plans: number }>({
      text: `SELECT name, generic_plans FROM pg_prepared_statements WHERE name LIKE 'fhir_lastn_walk_%' ORDER BY name`,
    });
    assert.equal(rows.length, 2, JSON.stringify(rows));
    for (const row of rows) assert.ok(Number(row.generic_plans) > 0, JSON.stringify(rows));
  });

  it('a shape past the named ones is still answered (planned per request)', async () => {
    for (let i = 0; walkStatementName(`SELECT ${i} -- filler shape`) !== undefined; i++);
    assert.deepEqual(
      await ids(`patient=p2&category=vital-signs&code=http://loinc.org|${CODES[0]}&max=1`),
      expected('p2', [CODES[0]!], 1, false),
    );
  });
});
