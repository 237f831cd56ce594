/**
 * `$events` retention is SUBSCRIPTION_EVENTS_RETENTION_SECONDS (here 1 s): a delivered event leaves `$events` after
 * it, an undelivered one never does. And FHIR JSON has no empty arrays: `$status` with no match, `$events` with
 * nothing kept and the notification bundles themselves leave empty elements out. Real app (PGlite), real receiver.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../../testing/test-server.js';
import { startSubscriptionTestServer } from './testing/subscription-test-server.js';
import { emptyArrays } from '../../testing/empty-arrays.js';
import { eventNumbers, eventually, type Receiver } from './testing/receiver.js';

const observation = (c: string) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: c }] },
});

describe('subscriptions: $events retention, no empty arrays', () => {
  let server: TestServer;
  let receiver: Receiver;
  let close: () => Promise<void>;

  before(async () => {
    ({ server, receiver, close } = await startSubscriptionTestServer({ SUBSCRIPTION_EVENTS_RETENTION_SECONDS: '1' }));
  });
  after(() => close?.());

  const subscribe = async (code: string, endpoint: string) => {
    const res = await server.fhir('/Subscription', {
      method: 'POST',
      body: {
        resourceType: 'Subscription',
        status: 'requested',
        reason: 'retention',
        criteria: `Observation?code=http://loinc.org|${code}`,
        channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json' },
      },
    });
    assert.equal(res.status, 201, res.text);
    return res.body.id as string;
  };
  const queued = (id: string, n: number) =>
    eventually(async () => {
      const row = (await server.app.subscriptions!.engine.list()).find((r) => r.id === id);
      return (row?.eventsQueued ?? 0) >= n ? row : undefined;
    }, `${n} events queued for ${id}`);

  it('a delivered event leaves $events after the retention; an undelivered one stays', async () => {
    const delivered = await subscribe('1000-1', `${receiver.url}/kept-briefly`);
    // nothing listens on port 9 of loopback (discard): every attempt fails, the event stays undelivered
    const failing = await subscribe('1000-1', 'http://127.0.0.1:9/hook');
    await eventually(async () => {
      const rows = await server.app.subscriptions!.engine.list();
      return rows.filter((r) => [delivered, failing].includes(r.id) && r.status !== 'requested').length === 2
        ? true
        : undefined;
    }, 'both subscriptions past requested');
    await server.fhir('/Observation', { method: 'POST', body: observation('1000-1') });
    await receiver.until((got) => got.some((r) => r.path === '/hook/kept-briefly' && r.eventNumber === 1));
    await queued(failing, 1);

    // right after delivery $events still has it (queued less than a second ago, or the sweep has not run yet) ...
    // ... and after the retention the sweep drops it: $events answers the status with no event
    const gone = await eventually(async () => {
      const res = await server.fhir(`/Subscription/${delivered}/$events`);
      assert.equal(res.status, 200, res.text);
      return eventNumbers(res.body).length === 0 ? res.body : undefined;
    }, 'delivered event dropped after 1 s');
    const status = gone.entry[0].resource.parameter;
    assert.equal(status.find((p: any) => p.name === 'events-since-subscription-start').valueString, '1');
    assert.deepEqual(emptyArrays(gone), [], 'an $events answer with no event has no empty array');

    // the undelivered event outlives several sweeps (retention 1 s: one a second)
    await new Promise((r) => setTimeout(r, 3500));
    const kept = await server.fhir(`/Subscription/${failing}/$events`);
    assert.deepEqual(eventNumbers(kept.body), [1]);
    const row = (await server.app.subscriptions!.engine.list()).find((r) => r.id === failing);
    assert.equal(row?.deliveredThrough, 0, 'never delivered');
    await server.fhir(`/Subscription/${failing}`, { method: 'DELETE' });
  });

  it('$status with no match has no entry element; status and notification bundles have no empty array', async () => {
    const none = await server.fhir('/Subscription/$status?id=no-such-subscription');
    assert.equal(none.status, 200, none.text);
    assert.equal(none.body.total, 0);
    assert.ok(!('entry' in none.body), 'no entry: []');
    assert.doesNotMatch(none.text, /\[\s*\]/, 'no empty array in the body as sent');

    const id = await subscribe('2000-2', `${receiver.url}/shapes`);
    await server.fhir('/Observation', { method: 'POST', body: observation('2000-2') });
    await receiver.until((got) => got.some((r) => r.path === '/hook/shapes'));
    const notification = receiver.received.find((r) => r.path === '/hook/shapes')!;
    assert.deepEqual(emptyArrays(notification.json), []);
    assert.doesNotMatch(notification.body, /\[\s*\]/);
    const one = await server.fhir(`/Subscription/${id}/$status`);
    assert.equal(one.body.total, 1);
    assert.deepEqual(emptyArrays(one.body), []);
    const all = await server.fhir('/Subscription/$status?status=off');
    assert.equal(all.body.total, 0);
    assert.doesNotMatch(all.text, /\[\s*\]/);
  });
});
