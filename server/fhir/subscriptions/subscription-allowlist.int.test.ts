/**
 * SUBSCRIPTION_ENDPOINT_ALLOWLIST on the real app (PGlite): a rest-hook endpoint outside the list is refused at
 * create and at update with a 403 OperationOutcome naming the setting; look-alike hosts (a longer host name, user
 * info before `@`, another port, a sibling path) are outside; an endpoint inside is accepted and receives its
 * notifications.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../../testing/test-server.js';
import { startSubscriptionTestServer } from './testing/subscription-test-server.js';
import { eventually, type Receiver } from './testing/receiver.js';

describe('subscription endpoint allow-list', () => {
  let server: TestServer;
  let receiver: Receiver;
  let close: () => Promise<void>;
  let origin: string;

  before(async () => {
    ({ server, receiver, close } = await startSubscriptionTestServer((r) => {
      origin = new URL(r.url).origin;
      return { SUBSCRIPTION_ENDPOINT_ALLOWLIST: `https://hooks.example.org,${origin}/hook/allowed` };
    }));
  });
  after(() => close?.());

  const subscribe = (endpoint: string, id?: string) =>
    server.fhir(id ? `/Subscription/${id}` : '/Subscription', {
      method: id ? 'PUT' : 'POST',
      body: {
        resourceType: 'Subscription',
        ...(id ? { id } : {}),
        status: 'requested',
        reason: 'allow-list test',
        criteria: 'Observation?code=http://loinc.org|4444-4',
        channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json' },
      },
    });

  it('refuses endpoints outside the list (403 OperationOutcome naming the setting), look-alikes included', async () => {
    const port = Number(new URL(origin).port);
    const outside = [
      'https://elsewhere.example.net/hook',
      'https://hooks.example.org.evil.net/hook',
      'https://hooks.example.org@evil.net/hook',
      'http://hooks.example.org/hook', // another scheme
      'https://hooks.example.org:8443/hook', // another port
      `${origin}/hook/allowed-not`, // a sibling path sharing the prefix's characters
      `${origin}/hook/other`,
      `http://127.0.0.1:${port + 1}/hook/allowed`,
    ];
    for (const endpoint of outside) {
      const refused = await subscribe(endpoint);
      assert.equal(refused.status, 403, `${endpoint}: ${refused.text}`);
      assert.equal(refused.body.resourceType, 'OperationOutcome');
      assert.match(refused.body.issue[0].diagnostics, /allow-list.*SUBSCRIPTION_ENDPOINT_ALLOWLIST/);
    }
    const list = await server.fhir('/Subscription');
    assert.equal(list.body.total ?? list.body.entry?.length ?? 0, 0, 'nothing refused was stored');
  });

  it('accepts endpoints inside the list, delivers to them, and refuses an update that moves one outside', async () => {
    assert.equal((await subscribe('https://hooks.example.org/fhir/notify')).status, 201);
    const created = await subscribe(`${receiver.url}/allowed`);
    assert.equal(created.status, 201, created.text);
    const id = created.body.id as string;
    await eventually(
      async () => ((await server.fhir(`/Subscription/${id}`)).body.status === 'active' ? true : undefined),
      'active',
    );
    const obs = await server.fhir('/Observation', {
      method: 'POST',
      body: {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '4444-4' }] },
      },
    });
    assert.equal(obs.status, 201);
    await receiver.until((r) => r.some((x) => x.path === '/hook/allowed' && x.subscription === id));

    const moved = await subscribe('https://elsewhere.example.net/hook', id);
    assert.equal(moved.status, 403, moved.text);
    const stored = await server.fhir(`/Subscription/${id}`);
    assert.equal(stored.body.channel.endpoint, `${receiver.url}/allowed`, 'the refused update changed nothing');
  });
});
