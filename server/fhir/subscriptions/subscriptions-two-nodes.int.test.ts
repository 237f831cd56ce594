/**
 * The websocket fan-out across server nodes (REDIS_URL set): two app instances on one PostgreSQL database and the
 * machine's Redis, as two nodes behind a load balancer. Only the lease holder delivers; every node forwards to its
 * own sockets through Redis pub/sub. A socket bound on either node receives each notification of a write made on
 * the other node exactly once, in order.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createTestDatabase } from '../../store/postgres/testing/test-stores.js';
import { openPostgresStore } from '../../store/postgres/open-postgres-store.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import type { ResourceStore } from '../../store/resource-store.js';
import { eventually } from './testing/receiver.js';
import { WEBSOCKET_PATH } from './websocket-hub.js';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

describe('websocket notifications across two nodes (PostgreSQL + Redis pub/sub)', () => {
  let database: { url: string; drop: () => Promise<void> };
  const stores: ResourceStore[] = [];
  const nodes: TestServer[] = [];
  const sockets: WebSocket[] = [];

  before(async () => {
    database = await createTestDatabase();
    for (let i = 0; i < 2; i++) {
      const store = await openPostgresStore({ url: database.url, poolSize: 4 });
      stores.push(store);
      nodes.push(
        await startTestServer(store, {
          env: {
            NILECARE_STORE: 'postgres',
            DATABASE_URL: database.url,
            REDIS_URL,
            NILECARE_SUBSCRIPTIONS: 'on',
            SUBSCRIPTION_POLL_MS: '50',
          },
        }),
      );
    }
  });
  after(async () => {
    for (const s of sockets) s.terminate();
    for (const n of nodes) await n.close().catch(() => undefined);
    for (const s of stores) await s.close().catch(() => undefined);
    await database?.drop();
  });

  const bind = async (node: TestServer, id: string) => {
    const url = node.baseUrl.replace(/^http/, 'ws').replace(/\/fhir$/, WEBSOCKET_PATH);
    const messages: string[] = [];
    const socket = new WebSocket(url);
    sockets.push(socket);
    socket.on('message', (m) => messages.push(String(m)));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(`bind ${id}`);
    await eventually(async () => (messages.includes(`bound ${id}`) ? true : undefined), 'bound');
    return messages;
  };
  const eventNumbers = (messages: string[]) =>
    messages
      .filter((m) => m.startsWith('{'))
      .map(
        (m) =>
          JSON.parse(m)
            .entry[0].resource.parameter.find((p: any) => p.name === 'notification-event')
            .part.find((p: any) => p.name === 'event-number').valueString as string,
      );

  it('a socket on each node gets every notification once, whichever node took the write', async () => {
    const [a, b] = nodes as [TestServer, TestServer];
    const created = await a.fhir('/Subscription', {
      method: 'POST',
      body: {
        resourceType: 'Subscription',
        status: 'requested',
        reason: 'two nodes',
        criteria: 'Observation?code=http://loinc.org|8888-8',
        channel: { type: 'websocket', payload: 'application/fhir+json' },
      },
    });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id as string;
    await eventually(
      async () => ((await b.fhir(`/Subscription/${id}`)).body.status === 'active' ? true : undefined),
      'active',
    );
    const onA = await bind(a, id);
    const onB = await bind(b, id);

    const obs = (value: number) => ({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8888-8' }] },
      valueQuantity: { value, unit: 'mg' },
    });
    assert.equal((await a.fhir('/Observation', { method: 'POST', body: obs(1) })).status, 201);
    assert.equal((await b.fhir('/Observation', { method: 'POST', body: obs(2) })).status, 201);
    assert.equal((await a.fhir('/Observation', { method: 'POST', body: obs(3) })).status, 201);
    const done = (m: string[]) => eventNumbers(m).length >= 3;
    await eventually(async () => (done(onA) && done(onB) ? true : undefined), 'three notifications on both nodes');
    await new Promise((r) => setTimeout(r, 500)); // any duplicate would have arrived by now
    for (const [name, messages] of [
      ['node A', onA],
      ['node B', onB],
    ] as const) {
      assert.deepEqual(eventNumbers(messages), ['1', '2', '3'], `${name}: each event once, in order`);
      assert.equal(messages.filter((m) => m === `ping ${id}`).length, 3, `${name}: one ping per event`);
    }
  });
});
