/**
 * Issue #14 item 7: a value that cannot be indexed used to be skipped silently (the resource stored, never found by
 * that parameter). Now it is logged (warn, naming type, id and parameter) and counted in
 * nilecare_index_values_skipped_total. The attack: an Observation whose valueQuantity has a comparator and a unit but
 * no value (valid FHIR; a fhir-test-cases example has one): value-quantity cannot index it. (A date such as 2020-02-30
 * is refused by validation first; extractIndex is shown skipping it directly.)
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { openPgliteTestStore } from '../store/postgres/testing/pglite-template.js';
import { extractIndex, type IndexProblem } from '../fhir/indexing/extract-index.js';

describe('index values that cannot be indexed are logged and counted', () => {
  let server: TestServer;
  const lines: Array<Record<string, unknown>> = [];
  before(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        done();
      },
    });
    server = await startTestServer(await openPgliteTestStore(), { logger: pino({ level: 'warn' }, sink) });
  });
  after(async () => {
    await server?.close();
    await server?.app.store.close();
  });

  it('extractIndex reports each skipped value and expression; valid data reports nothing', () => {
    const problems: IndexProblem[] = [];
    extractIndex({ resourceType: 'Patient', id: 'p', birthDate: '1990-02-30' }, (p) => problems.push(p));
    assert.deepEqual(
      problems.map((p) => [p.param, p.stage]),
      [['birthdate', 'value']],
    );
    assert.match(problems[0]!.error, /1990-02-30/);
    const none: IndexProblem[] = [];
    extractIndex({ resourceType: 'Patient', id: 'q', birthDate: '1990-02-28' }, (p) => none.push(p));
    assert.deepEqual(none, []);
  });

  it('over HTTP: the write stands, the skipped value is in the log and in /metrics', async () => {
    const created = await server.fhir('/Observation', {
      method: 'POST',
      body: {
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'glucose' },
        valueQuantity: { comparator: '<', unit: 'mmol/L' },
      },
    });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id;
    const logged = lines.find((l) => l['param'] === 'value-quantity' && l['id'] === id);
    assert.ok(logged, `a warning names Observation/${id} value-quantity: ${JSON.stringify(lines).slice(0, 500)}`);
    assert.equal(logged['resourceType'], 'Observation');
    const metrics = await (await fetch(server.baseUrl.replace(/\/fhir$/, '/metrics'))).text();
    assert.match(
      metrics,
      /nilecare_index_values_skipped_total\{type="Observation",param="value-quantity",stage="value"\} 1/,
    );
  });
});
