/**
 * #22: an auditor may look at the console's subscriptions page (read-only), with tokens from the real SMART flows:
 * the console client's token of an active auditor opens GET /console/api/subscriptions and nothing else of the admin
 * API; the same auditor through another app, and a doctor through the console are refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSecurityWorld, type SecurityWorld } from '../auth/security/testing/security-fixture.js';
import { CONSOLE_CLIENT_ID } from './console-client.js';
import { eventually } from '../fhir/subscriptions/testing/receiver.js';

describe('console subscriptions page: auditor may view (#22)', () => {
  let w: SecurityWorld;
  let subscriptionId = '';

  before(async () => {
    w = await startSecurityWorld({ NILECARE_SUBSCRIPTIONS: 'on', SUBSCRIPTION_POLL_MS: '50' });
    const created = await w.srv.app.systemClient.request('POST', 'Subscription', {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'auditor view',
      criteria: 'Observation?code=http://loinc.org|1234-5',
      channel: { type: 'rest-hook', endpoint: 'http://127.0.0.1:9/hook', header: ['X-Api-Key: secret-key-123'] },
    });
    assert.equal(created.status, 201);
    subscriptionId = created.resource?.id ?? '';
    // the engine registers it from the change log
    await eventually(
      async () => ((await w.srv.app.subscriptions?.engine.list())?.length ? true : undefined),
      'registered',
    );
  });
  after(async () => w?.close());

  const get = (path: string, token: string) =>
    fetch(`${w.origin}/console/api/${path}`, { headers: { authorization: `Bearer ${token}` } });
  const viaConsole = { clientId: CONSOLE_CLIENT_ID, redirectUri: '' };

  it('the console token of an auditor lists subscriptions (no channel headers) and opens no other admin page', async () => {
    const token = await w.token(w.auditor, 'openid fhirUser user/Patient.rs', {
      ...viaConsole,
      redirectUri: `${w.origin}/console/`,
    });
    const list = await get('subscriptions', token);
    assert.equal(list.status, 200, await list.clone().text());
    const text = await list.text();
    const rows = JSON.parse(text) as Array<{ id: string; criteria: string }>;
    assert.deepEqual(
      rows.map((r) => [r.id, r.criteria]),
      [[subscriptionId, 'Observation?code=http://loinc.org|1234-5']],
    );
    assert.ok(!text.includes('secret-key-123'), 'channel headers are never shown');
    for (const path of ['health', 'projections', 'hl7/messages', 'users', 'clients'])
      assert.equal((await get(path, token)).status, 403, path);
  });

  it('refuses the auditor through another app, a doctor through the console, and no token', async () => {
    const auditorViaApp = await w.token(w.auditor, 'openid fhirUser user/Patient.rs');
    assert.equal((await get('subscriptions', auditorViaApp)).status, 403);
    const doctorViaConsole = await w.token(w.doctor, 'openid fhirUser user/*.rs', {
      ...viaConsole,
      redirectUri: `${w.origin}/console/`,
    });
    assert.equal((await get('subscriptions', doctorViaConsole)).status, 403);
    assert.equal((await fetch(`${w.origin}/console/api/subscriptions`)).status, 401);
  });
});
