/**
 * The engine's criteria index is kept one Subscription change at a time (criteria-index.ts, notification-queue.ts):
 * on the real app (PGlite) with a real receiver, a subscription whose criteria change hears the new criteria only, one
 * switched off hears nothing, one switched back on hears again, one deleted hears nothing, and a neighbour with the
 * same criteria is not disturbed by any of it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Subscription } from '@medplum/fhirtypes';
import type { TestServer } from '../../testing/test-server.js';
import { startSubscriptionTestServer } from './testing/subscription-test-server.js';
import { eventually, type Receiver } from './testing/receiver.js';

const observation = (code: string, marker: number) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code }] },
  valueQuantity: { value: marker },
});

describe('subscriptions: matching after updates, status changes and deletes', () => {
  let server: TestServer;
  let receiver: Receiver;
  let close: () => Promise<void>;

  before(async () => {
    ({ server, receiver, close } = await startSubscriptionTestServer());
  });
  after(() => close?.());

  const body = (code: string, path: string, status: Subscription['status'] = 'requested') => ({
    resourceType: 'Subscription',
    status,
    reason: 'reindex',
    criteria: `Observation?code=http://loinc.org|${code}`,
    channel: { type: 'rest-hook', endpoint: `${receiver.url}${path}`, payload: 'application/fhir+json' },
  });
  const markers = (path: string) =>
    receiver.received.filter((r) => r.path === `/hook${path}`).map((r) => r.json.entry[1].resource.valueQuantity.value);
  const active = (id: string) =>
    eventually(async () => {
      const s = (await server.fhir(`/Subscription/${id}`)).body as Subscription;
      return s.status === 'active' ? s : undefined;
    }, `Subscription/${id} active`);
  /** Writes an Observation and waits until the neighbour (always watching both codes' first) heard it. */
  let marker = 0;
  const write = async (code: string) => {
    const m = ++marker;
    await server.fhir('/Observation', { method: 'POST', body: observation(code, m) });
    await receiver.until(() => markers('/witness').includes(m) || !code.startsWith('11'), 30_000);
    return m;
  };

  it('hears exactly what its current criteria and status say', async () => {
    const witness = await server.fhir('/Subscription', { method: 'POST', body: body('1111-1', '/witness') });
    const moving = await server.fhir('/Subscription', { method: 'POST', body: body('1111-1', '/moving') });
    assert.equal(moving.status, 201, moving.text);
    const id = moving.body.id as string;
    await active(witness.body.id);
    await active(id);

    const m1 = await write('1111-1'); // heard
    const v1 = (await server.fhir(`/Subscription/${id}`)).body as Subscription;
    const changed = await server.fhir(`/Subscription/${id}`, {
      method: 'PUT',
      body: { ...v1, criteria: 'Observation?code=http://loinc.org|2222-2' },
    });
    assert.equal(changed.status, 200, changed.text);
    await active(id);
    const m2 = await write('1111-1'); // old criteria: not heard
    const m3 = await write('2222-2'); // new criteria: heard
    await receiver.until(() => markers('/moving').includes(m3));

    const v2 = (await server.fhir(`/Subscription/${id}`)).body as Subscription;
    assert.equal(
      (await server.fhir(`/Subscription/${id}`, { method: 'PUT', body: { ...v2, status: 'off' } })).status,
      200,
    );
    const m4 = await write('2222-2'); // off: not heard
    const m5 = await write('1111-1'); // witness hears this after m4: the feed is past the switch-off
    const v3 = (await server.fhir(`/Subscription/${id}`)).body as Subscription;
    assert.equal(
      (await server.fhir(`/Subscription/${id}`, { method: 'PUT', body: { ...v3, status: 'requested' } })).status,
      200,
    );
    await active(id);
    const m6 = await write('2222-2'); // on again: heard
    await receiver.until(() => markers('/moving').includes(m6));

    assert.ok((await server.fhir(`/Subscription/${id}`, { method: 'DELETE' })).status < 300);
    await write('2222-2'); // deleted: not heard
    const m8 = await write('1111-1');
    await receiver.until(() => markers('/witness').includes(m8));
    await new Promise((r) => setTimeout(r, 300));

    assert.deepEqual(markers('/moving'), [m1, m3, m6]);
    assert.deepEqual(markers('/witness'), [m1, m2, m5, m8], 'the neighbour heard every 1111-1, nothing else');
    assert.ok(!markers('/moving').includes(m2) && !markers('/moving').includes(m4));
  });
});
