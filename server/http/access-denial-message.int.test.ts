/**
 * The 403 a newcomer's app meets when it asked for patient/ scopes without launch/patient (issue 26): the
 * OperationOutcome says what to change instead of only "does not permit read on Patient".
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { policyFromScopes } from '../auth/scope-policy.js';
import { pgliteTestStore } from '../store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

describe('403 for patient/ scopes without a patient context', () => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  before(async () => {
    const opened = await pgliteTestStore();
    dispose = opened.dispose;
    server = await startTestServer(opened.store, {
      resolveAccess: async (req) =>
        policyFromScopes(
          req.get('x-test-patient')
            ? { scope: 'patient/*.rs', patient: String(req.get('x-test-patient')), clientId: 'app' }
            : { scope: 'openid fhirUser patient/*.rs', clientId: 'app' },
        ),
    });
  });
  after(async () => {
    await server?.close();
    await server?.app.store.close();
    await dispose?.();
  });

  it('says the token needs a patient context and how the app gets one', async () => {
    for (const path of ['/Patient/p1', '/Observation?code=x']) {
      const r = await server.fhir(path);
      assert.equal(r.status, 403, path);
      assert.equal(r.body.resourceType, 'OperationOutcome');
      const text = r.body.issue[0].diagnostics as string;
      assert.match(
        text,
        /^The access token does not permit (read|search) on (Patient|Observation): its patient\/ scopes need a patient context and the token has none/,
      );
      assert.match(text, /ask for launch\/patient/);
    }
  });

  it('keeps the plain message when a patient context is there (a write the scopes never allowed)', async () => {
    const r = await server.fhir('/Patient', {
      method: 'POST',
      headers: { 'x-test-patient': 'p1' },
      body: { resourceType: 'Patient' },
    });
    assert.equal(r.status, 403);
    assert.equal(r.body.issue[0].diagnostics, 'The access token does not permit create on Patient');
  });
});
