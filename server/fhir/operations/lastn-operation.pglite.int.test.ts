/**
 * Observation/$lastn over HTTP (issue #25) on the embedded PGlite store: GET and POST (Parameters body) answer a
 * searchset whose self link is the operation, a patient-context SMART token sees only its patient, and mistakes
 * answer 400 with an OperationOutcome. The grouping itself is compared with the oracle in the search contract
 * (search/testing/contract-lastn.ts) on every store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { openPgliteTestStore } from '../../store/postgres/testing/pglite-template.js';
import { policyFromScopes } from '../../auth/scope-policy.js';
import { FULL_ACCESS } from '../access-policy.js';

describe('Observation/$lastn over HTTP (PGlite)', () => {
  let server: TestServer;
  const run = randomUUID().slice(0, 8);
  const ids: Record<string, string> = {};
  const vital = {
    coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }],
  };
  const observation = (patient: string, code: string, at: string) => ({
    resourceType: 'Observation',
    status: 'final',
    category: [vital],
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: at,
    valueQuantity: { value: 70, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  });
  const keys = (bundle: { entry?: Array<{ resource: { id: string } }> }) =>
    (bundle.entry ?? []).map((e) => e.resource.id);

  before(async () => {
    server = await startTestServer(await openPgliteTestStore(), {
      resolveAccess: async (req) => {
        const patient = req.get('x-test-patient');
        return patient
          ? policyFromScopes({ scope: 'patient/Observation.rs', clientId: 'lastn-test', patient })
          : FULL_ACCESS;
      },
    });
    for (const name of ['a', 'b']) {
      const res = await server.fhir('/Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', name: [{ family: `L${run}${name}` }] },
      });
      assert.equal(res.status, 201, res.text);
      ids[name] = res.body.id as string;
    }
    const entry = [
      ['a', '8867-4', '2024-01-01', 'hr1'],
      ['a', '8867-4', '2024-03-01', 'hr3'],
      ['a', '8867-4', '2024-02-01', 'hr2'],
      ['a', '29463-7', '2023-01-01', 'w1'],
      ['b', '8867-4', '2025-01-01', 'bhr'],
    ].map(([p, code, at, label]) => ({
      request: { method: 'POST', url: 'Observation' },
      resource: { ...observation(ids[p!]!, code!, at!), note: [{ text: label }] },
    }));
    const res = await server.fhir('/', {
      method: 'POST',
      body: { resourceType: 'Bundle', type: 'transaction', entry },
    });
    assert.equal(res.status, 200, res.text);
    for (const [i, e] of (res.body.entry as Array<{ response: { location: string } }>).entries())
      ids[entry[i]!.resource.note[0]!.text!] = e.response.location.split('/')[1]!;
  });
  after(async () => {
    await server?.close();
    await server?.app.store.close();
  });

  it('GET: the latest of each code, newest first, self link at $lastn; max=2', async () => {
    const one = await server.fhir(`/Observation/$lastn?patient=${ids.a}&category=vital-signs`);
    assert.equal(one.status, 200, one.text);
    assert.equal(one.body.type, 'searchset');
    assert.deepEqual(keys(one.body).sort(), [ids.hr3, ids.w1].sort());
    assert.match(one.body.link[0].url, /\/Observation\/\$lastn\?patient=/);
    const two = await server.fhir(`/Observation/$lastn?patient=${ids.a}&category=vital-signs&max=2`);
    const hr = keys(two.body).filter((k) => k !== ids.w1);
    assert.deepEqual(hr, [ids.hr3, ids.hr2], 'newest first within the group');
  });

  it('POST with a Parameters body answers the same', async () => {
    const res = await server.fhir('/Observation/$lastn', {
      method: 'POST',
      body: {
        resourceType: 'Parameters',
        parameter: [
          { name: 'max', valuePositiveInt: 2 },
          { name: 'patient', valueReference: { reference: `Patient/${ids.a}` } },
          { name: 'code', valueString: 'http://loinc.org|8867-4' },
        ],
      },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(keys(res.body), [ids.hr3, ids.hr2]);
  });

  it("a patient-context token sees only its patient's Observations", async () => {
    const asA = { 'x-test-patient': ids.a! };
    const own = await server.fhir(`/Observation/$lastn?patient=${ids.a}&category=vital-signs`, { headers: asA });
    assert.equal(own.status, 200, own.text);
    assert.deepEqual(keys(own.body).sort(), [ids.hr3, ids.w1].sort());
    const other = await server.fhir(`/Observation/$lastn?patient=${ids.b}&category=vital-signs`, { headers: asA });
    assert.equal(other.status, 200);
    assert.deepEqual(keys(other.body), [], "B's Observation is not shown to A's token");
    const both = await server.fhir(`/Observation/$lastn?patient=${ids.a},${ids.b}&code=8867-4`, { headers: asA });
    assert.deepEqual(keys(both.body), [ids.hr3]);
  });

  it('decimals keep the precision they were written with (71.50 stays 71.50)', async () => {
    const patient = await server.fhir('/Patient', {
      method: 'POST',
      body: { resourceType: 'Patient', name: [{ family: `L${run}c` }] },
    });
    assert.equal(patient.status, 201, patient.text);
    const body = JSON.stringify({
      ...observation(patient.body.id as string, '29463-7', '2024-06-01'),
      valueQuantity: 0,
    });
    const created = await server.fhir('/Observation', {
      method: 'POST',
      rawBody: body.replace('"valueQuantity":0', '"valueQuantity":{"value":71.50,"unit":"kg"}'),
    });
    assert.equal(created.status, 201, created.text);
    const res = await server.fhir(`/Observation/$lastn?patient=${patient.body.id}&code=29463-7`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(keys(res.body), [created.body.id]);
    assert.match(res.text, /"value":71\.50[,}]/);
  });

  it('mistakes answer 400 OperationOutcome; $lastn elsewhere is not an operation', async () => {
    for (const query of [
      `category=vital-signs`,
      `patient=${ids.a}`,
      `patient=${ids.a}&category=vital-signs&max=0`,
      `patient=${ids.a}&category=vital-signs&_count=5`,
    ]) {
      const res = await server.fhir(`/Observation/$lastn?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.resourceType, 'OperationOutcome');
    }
    const wrongType = await server.fhir(`/Patient/$lastn?patient=${ids.a}&category=vital-signs`);
    assert.ok([400, 404].includes(wrongType.status), String(wrongType.status));
    assert.equal(wrongType.body.resourceType, 'OperationOutcome');
  });
});
