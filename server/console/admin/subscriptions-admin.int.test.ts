/**
 * The console's subscription list (GET /console/api/subscriptions) on the real app: status, delivery counts, last
 * delivery and last error as the engine records them, channel headers (which may carry credentials) never shown.
 * NILECARE_AUTH=disabled opens the admin API; its refusal without an admin token is in console-router.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { eventually, startReceiver, type Receiver } from '../../fhir/subscriptions/testing/receiver.js';
import type { SubscriptionStatus } from '../admin-api.js';

describe('console subscriptions list', () => {
  let server: TestServer;
  let receiver: Receiver;
  const disposers: Array<() => Promise<void>> = [];

  before(async () => {
    receiver = await startReceiver();
    const one = await pgliteTestStore();
    disposers.push(one.dispose);
    server = await startTestServer(one.store, {
      env: { NILECARE_SUBSCRIPTIONS: 'on', SUBSCRIPTION_POLL_MS: '50', SUBSCRIPTION_RETRY_BASE_MS: '100' },
    });
  });
  after(async () => {
    await receiver?.close();
    for (const s of [server]) {
      await s?.close();
      await s?.app.store.close();
    }
    for (const d of disposers) await d();
  });

  const list = async (s: TestServer) => fetch(`${new URL(s.baseUrl).origin}/console/api/subscriptions`);
  const subscribe = async (path: string) => {
    const created = await server.fhir('/Subscription', {
      method: 'POST',
      body: {
        resourceType: 'Subscription',
        status: 'requested',
        reason: 'console list',
        criteria: `Observation?code=http://loinc.org|${path}`,
        channel: { type: 'rest-hook', endpoint: `${receiver.url}/${path}`, header: ['X-Api-Key: secret-key-123'] },
      },
    });
    assert.equal(created.status, 201, created.text);
    return created.body.id as string;
  };
  const rows = async () => (await (await list(server)).json()) as SubscriptionStatus[];

  it('lists each subscription with status, counts, last delivery and last error, and no channel headers', async () => {
    assert.deepEqual(await rows(), []);
    const id = await subscribe('6666-6');
    await eventually(
      async () => ((await rows()).find((r) => r.id === id)?.status === 'active' ? true : undefined),
      'active',
    );
    const post = (code: string) =>
      server.fhir('/Observation', {
        method: 'POST',
        body: {
          resourceType: 'Observation',
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code }] },
        },
      });
    await post('6666-6');
    const delivered = await eventually(async () => {
      const r = (await rows()).find((x) => x.id === id);
      return r?.lastDeliveryAt ? r : undefined;
    }, 'delivered');
    assert.equal(delivered.deliveredThrough, 1);
    assert.equal(delivered.eventsQueued, 1);
    assert.equal(delivered.channel, 'rest-hook');
    assert.equal(delivered.endpoint, `${receiver.url}/6666-6`);
    assert.equal(delivered.criteria, 'Observation?code=http://loinc.org|6666-6');
    assert.equal(delivered.lastError, null);

    receiver.answer(500);
    await post('6666-6');
    const failed = await eventually(async () => {
      const r = (await rows()).find((x) => x.id === id);
      return r?.status === 'error' ? r : undefined;
    }, 'error');
    assert.match(failed.lastError ?? '', /500/);
    assert.ok(failed.lastErrorAt);
    assert.equal(failed.deliveredThrough, 1);
    assert.equal(failed.eventsQueued, 2);
    receiver.answer(200);
    const text = await (await list(server)).text();
    assert.ok(!text.includes('secret-key-123'), 'channel headers are not shown');
  });
});
