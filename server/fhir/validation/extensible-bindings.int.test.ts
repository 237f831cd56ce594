/** Over HTTP: $validate reports a code outside an extensible binding as a warning; a create of the same is accepted. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { openPgliteTestStore } from '../../store/postgres/testing/pglite-template.js';
import type { ResourceStore } from '../../store/resource-store.js';

const observation = {
  resourceType: 'Observation',
  status: 'final',
  code: { text: 'Haemoglobin' },
  interpretation: [
    { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'ZZZ' }] },
  ],
};

describe('extensible bindings over HTTP', () => {
  let store: ResourceStore;
  let server: TestServer;
  before(async () => {
    store = await openPgliteTestStore();
    server = await startTestServer(store, { env: { NILECARE_AUTH: 'disabled' } });
  });
  after(async () => {
    await server?.close();
    await store?.close();
  });

  it('$validate answers 200 with a warning at the element', async () => {
    const res = await server.fhir('Observation/$validate', { method: 'POST', body: observation });
    assert.equal(res.status, 200, res.text);
    const warning = res.body.issue.find(
      (i: { severity: string; code: string }) => i.severity === 'warning' && i.code === 'code-invalid',
    );
    assert.deepEqual(warning?.expression, ['Observation.interpretation[0]'], res.text);
    assert.ok(!res.body.issue.some((i: { severity: string }) => i.severity === 'error'), res.text);
  });

  it('a create of the same resource is accepted (a warning does not block)', async () => {
    const res = await server.fhir('Observation', { method: 'POST', body: observation });
    assert.equal(res.status, 201, res.text);
  });
});
