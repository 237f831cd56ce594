/**
 * Topic-based subscriptions of the Subscriptions R5 Backport IG for R4, end to end on the real app (PGlite store) with
 * a real HTTP receiver: a SubscriptionTopic as a Basic with the cross-version extensions, filters, the handshake that
 * activates, heartbeats, gap-free event numbers in history bundles with the SubscriptionStatus first, `$status` and
 * `$events`; an unknown topic or a filter the topic does not allow is refused when written (422), in a transaction
 * Bundle that creates the topic in a later entry it is accepted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { Subscription } from '@medplum/fhirtypes';
import type { TestServer } from '../../testing/test-server.js';
import { startSubscriptionTestServer } from './testing/subscription-test-server.js';
import { FULL_ACCESS, type AccessPolicy } from '../access-policy.js';
import { policyFromScopes } from '../../auth/scope-policy.js';
import { eventNumbers, eventually, type Receiver, type Received } from './testing/receiver.js';

const IG = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
const TOPIC_URL = 'http://example.org/fhir/SubscriptionTopic/encounter-finished';
const R5 = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic';
const R43 = 'http://hl7.org/fhir/4.3/StructureDefinition/extension-SubscriptionTopic';

const TOKENS: Record<string, AccessPolicy> = {
  'Bearer patient-b': policyFromScopes({ scope: 'patient/*.rs patient/Subscription.cud', patient: 'b' }),
};

/** As the IG's R4 example (Basic-r4-encounter-complete): create or update to finished, filter by patient. */
const topic = {
  resourceType: 'Basic',
  code: { coding: [{ system: 'http://hl7.org/fhir/fhir-types', code: 'SubscriptionTopic' }] },
  extension: [
    { url: `${R5}.url`, valueUri: TOPIC_URL },
    { url: `${R5}.name`, valueString: 'EncounterFinished' },
    {
      url: `${R43}.resourceTrigger`,
      extension: [
        { url: 'resource', valueUri: 'http://hl7.org/fhir/StructureDefinition/Encounter' },
        { url: 'supportedInteraction', valueCode: 'create' },
        { url: 'supportedInteraction', valueCode: 'update' },
        {
          url: 'queryCriteria',
          extension: [
            { url: 'previous', valueString: 'status:not=finished' },
            { url: 'resultForCreate', valueCode: 'test-passes' },
            { url: 'current', valueString: 'status=finished' },
            { url: 'resultForDelete', valueCode: 'test-fails' },
            { url: 'requireBoth', valueBoolean: true },
          ],
        },
      ],
    },
    {
      url: `${R43}.canFilterBy`,
      extension: [
        { url: 'resource', valueUri: 'Encounter' },
        { url: 'filterParameter', valueString: 'patient' },
      ],
    },
  ],
};

const encounter = (patient: string, status: string, id?: string) => ({
  resourceType: 'Encounter',
  ...(id ? { id } : {}),
  status,
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
  subject: { reference: `Patient/${patient}` },
});

const statusParams = (bundle: any) => bundle.entry[0].resource;
const param = (status: any, name: string) => status.parameter.find((p: any) => p.name === name);
const typeOf = (r: Received) => param(statusParams(r.json), 'type').valueCode as string;

describe('topic-based subscriptions (Subscriptions R5 Backport IG, R4)', () => {
  let server: TestServer;
  let receiver: Receiver;
  let close: () => Promise<void>;

  before(async () => {
    ({ server, receiver, close } = await startSubscriptionTestServer({}, async (req) => {
      const header = req.get('authorization');
      if (!header) return { ...FULL_ACCESS, who: 'system' };
      const policy = TOKENS[header];
      if (!policy) throw new Error('unknown token');
      return policy;
    }));
    for (const id of ['a', 'b'])
      assert.equal(
        (await server.fhir(`/Patient/${id}`, { method: 'PUT', body: { resourceType: 'Patient', id } })).status,
        201,
      );
    const created = await server.fhir('/Basic', { method: 'POST', body: topic });
    assert.equal(created.status, 201, created.text);
  });
  after(() => close?.());

  const subscribe = (criteria: string, path: string, extra: Record<string, unknown> = {}, filters: string[] = []) =>
    server.fhir('/Subscription', {
      method: 'POST',
      body: {
        resourceType: 'Subscription',
        status: 'requested',
        reason: 'test',
        criteria,
        ...(filters.length
          ? {
              _criteria: { extension: filters.map((f) => ({ url: `${IG}/backport-filter-criteria`, valueString: f })) },
            }
          : {}),
        channel: {
          type: 'rest-hook',
          endpoint: `${receiver.url}${path}`,
          payload: 'application/fhir+json',
          _payload: { extension: [{ url: `${IG}/backport-payload-content`, valueCode: 'id-only' }] },
          ...extra,
        },
      },
    });
  const from = (path: string) => receiver.received.filter((r) => r.path === `/hook${path}`);
  const statusOf = async (id: string) => (await server.fhir(`/Subscription/${id}`)).body as Subscription;
  const settled = (id: string) =>
    eventually(async () => {
      const s = await statusOf(id);
      return s.status === 'active' || s.status === 'error' ? s : undefined;
    }, `Subscription/${id} active or error`);

  it('handshake activates; heartbeats; only matching events, numbered without gaps; $status and $events', async () => {
    const created = await subscribe(
      TOPIC_URL,
      '/topic',
      { extension: [{ url: `${IG}/backport-heartbeat-period`, valueUnsignedInt: 1 }] },
      ['Encounter?patient=Patient/a'],
    );
    assert.equal(created.status, 201, created.text);
    const id = created.body.id as string;
    assert.equal(created.body.status, 'requested');
    assert.equal((await settled(id)).status, 'active');

    // the handshake came first: status requested, no event, no event-number header
    const handshake = from('/topic')[0]!;
    assert.equal(handshake.json.resourceType, 'Bundle');
    assert.equal(handshake.json.type, 'history');
    assert.equal(typeOf(handshake), 'handshake');
    assert.equal(param(statusParams(handshake.json), 'status').valueCode, 'requested');
    assert.equal(param(statusParams(handshake.json), 'events-since-subscription-start').valueString, '0');
    assert.equal(handshake.headers['x-subscription-event-number'], undefined);

    // a heartbeat within the period (1 s) once nothing else is sent
    await receiver.until(() => from('/topic').some((r) => typeOf(r) === 'heartbeat'));
    const heartbeat = from('/topic').find((r) => typeOf(r) === 'heartbeat')!;
    assert.equal(param(statusParams(heartbeat.json), 'status').valueCode, 'active');
    assert.equal(param(statusParams(heartbeat.json), 'topic').valueCanonical, TOPIC_URL);
    assert.equal(eventNumbers(heartbeat.json).length, 0);

    const planned = await server.fhir('/Encounter', { method: 'POST', body: encounter('a', 'planned') }); // current fails
    const eid = planned.body.id as string;
    await server.fhir(`/Encounter/${eid}`, { method: 'PUT', body: encounter('a', 'finished', eid) }); // event 1
    await server.fhir(`/Encounter/${eid}`, {
      method: 'PUT',
      body: { ...encounter('a', 'finished', eid), priority: { text: 'x' } },
    }); // previous finished: no
    await server.fhir('/Encounter', { method: 'POST', body: encounter('b', 'finished') }); // filter: another patient
    const direct = await server.fhir('/Encounter', { method: 'POST', body: encounter('a', 'finished') }); // event 2
    await server.fhir(`/Encounter/${direct.body.id}`, { method: 'DELETE' }); // delete not a supported interaction
    const marker = await server.fhir('/Encounter', { method: 'POST', body: encounter('a', 'finished') }); // event 3
    const events = () => from('/topic').filter((r) => typeOf(r) === 'event-notification');
    await receiver.until(() => events().length >= 3);
    const got = events();
    assert.deepEqual(
      got.map((r) => r.eventNumber),
      [1, 2, 3],
    );
    assert.deepEqual(
      got.map((r) => eventNumbers(r.json)),
      [[1], [2], [3]],
    );
    const focus = (r: Received) =>
      param(statusParams(r.json), 'notification-event').part.find((p: any) => p.name === 'focus').valueReference
        .reference as string;
    assert.match(focus(got[0]!), new RegExp(`/Encounter/${eid}/_history/2$`));
    assert.match(focus(got[1]!), new RegExp(`/Encounter/${direct.body.id}/_history/1$`));
    assert.match(focus(got[2]!), new RegExp(`/Encounter/${marker.body.id}/_history/1$`));
    for (const r of got) {
      assert.equal(r.json.type, 'history');
      assert.equal(statusParams(r.json).resourceType, 'Parameters');
      assert.equal(param(statusParams(r.json), 'topic').valueCanonical, TOPIC_URL);
      assert.equal(param(statusParams(r.json), 'events-since-subscription-start').valueString, String(r.eventNumber));
    }

    // $status: the instance, and the type level filtered by status
    const status = await server.fhir(`/Subscription/${id}/$status`);
    assert.equal(status.status, 200, status.text);
    assert.equal(status.body.type, 'searchset');
    const s = status.body.entry[0].resource;
    assert.equal(param(s, 'type').valueCode, 'query-status');
    assert.equal(param(s, 'status').valueCode, 'active');
    assert.equal(param(s, 'events-since-subscription-start').valueString, '3');
    assert.equal(param(s, 'topic').valueCanonical, TOPIC_URL);
    const listed = await server.fhir(`/Subscription/$status?status=active&id=${id}`);
    assert.equal(listed.body.total, 1);
    const none = await server.fhir(`/Subscription/$status?status=error&id=${id}`);
    assert.equal(none.body.total, 0);

    // $events: all, a range, full resources on request
    const all = await server.fhir(`/Subscription/${id}/$events`);
    assert.equal(all.status, 200, all.text);
    assert.equal(all.body.type, 'history');
    assert.equal(param(statusParams(all.body), 'type').valueCode, 'query-event');
    assert.deepEqual(eventNumbers(all.body), [1, 2, 3]);
    const range = await server.fhir(`/Subscription/${id}/$events?eventsSinceNumber=2&eventsUntilNumber=2`);
    assert.deepEqual(eventNumbers(range.body), [2]);
    const full = await server.fhir(`/Subscription/${id}/$events?eventsSinceNumber=3&content=full-resource`);
    assert.equal(full.body.entry.length, 2);
    assert.equal(full.body.entry[1].resource.id, marker.body.id);
    assert.equal((await server.fhir(`/Subscription/${id}/$events?eventsSinceNumber=x`)).status, 400);
    assert.equal((await server.fhir(`/Subscription/${id}/$events?content=everything`)).status, 400);
    // another patient's token may not read this subscription's status or events
    const foreign = { headers: { authorization: 'Bearer patient-b' } };
    assert.equal((await server.fhir(`/Subscription/${id}/$status`, foreign)).status, 403);
    assert.equal((await server.fhir(`/Subscription/${id}/$events`, foreign)).status, 403);
    assert.equal((await server.fhir(`/Subscription/$status?id=${id}`, foreign)).body.total, 0);
  });

  it('an unknown topic, or a filter the topic does not allow, is refused when written (422), in a Bundle too', async () => {
    const UNKNOWN = 'http://example.org/fhir/SubscriptionTopic/nope';
    const unknown = await subscribe(UNKNOWN, '/unknown');
    assert.equal(unknown.status, 422, unknown.text);
    assert.equal(unknown.body.resourceType, 'OperationOutcome');
    assert.match(unknown.text, /not known/);
    const disallowed = await subscribe(TOPIC_URL, '/disallowed', {}, ['Encounter?status=finished']);
    assert.equal(disallowed.status, 422, disallowed.text);
    assert.match(disallowed.text, /does not allow filtering Encounter by status/);
    // a filter that is not a search expression of this server is refused when written
    assert.equal((await subscribe(TOPIC_URL, '/bad', {}, ['Encounter?no-such-param=1'])).status, 400);
    // an existing subscription updated to an unknown topic
    const fine = await subscribe(TOPIC_URL, '/retargeted');
    assert.equal(fine.status, 201, fine.text);
    const moved = await server.fhir(`/Subscription/${fine.body.id}`, {
      method: 'PUT',
      body: { ...fine.body, criteria: UNKNOWN },
    });
    assert.equal(moved.status, 422, moved.text);
    assert.equal((await statusOf(fine.body.id)).criteria, TOPIC_URL);

    // the topic created by a later entry of the same transaction: accepted, and the subscription is served
    const LATER = 'http://example.org/fhir/SubscriptionTopic/created-in-the-same-bundle';
    const laterTopic = {
      ...topic,
      extension: topic.extension.map((e) => (e.url === `${R5}.url` ? { ...e, valueUri: LATER } : e)),
    };
    const sub = (await subscribe(LATER, '/same-bundle')).status; // not yet known
    assert.equal(sub, 422);
    const bundle = (criteria: string, withTopic: boolean) => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:0b7c2b1e-8a8e-4f1e-9a53-000000000001',
          resource: {
            resourceType: 'Subscription',
            status: 'requested',
            reason: 'same bundle',
            criteria,
            channel: { type: 'rest-hook', endpoint: `${receiver.url}/same-bundle`, payload: 'application/fhir+json' },
          },
          request: { method: 'POST', url: 'Subscription' },
        },
        ...(withTopic
          ? [
              {
                fullUrl: 'urn:uuid:0b7c2b1e-8a8e-4f1e-9a53-000000000002',
                resource: laterTopic,
                request: { method: 'POST', url: 'Basic' },
              },
            ]
          : []),
      ],
    });
    const refusedBundle = await server.fhir('/', { method: 'POST', body: bundle(UNKNOWN, true) });
    assert.equal(refusedBundle.status, 422, refusedBundle.text);
    const topicsNamed = async (url: string) =>
      ((await server.fhir('/Basic?code=http://hl7.org/fhir/fhir-types|SubscriptionTopic')).body.entry ?? []).filter(
        (e: any) => e.resource.extension.some((x: any) => x.valueUri === url),
      ).length;
    assert.equal(await topicsNamed(LATER), 0, 'nothing of the refused Bundle was written');
    const accepted = await server.fhir('/', { method: 'POST', body: bundle(LATER, true) });
    assert.equal(accepted.status, 200, accepted.text);
    const id = (accepted.body.entry[0].response.location as string).split('/')[1] as string;
    assert.equal((await settled(id)).status, 'active');
    await receiver.until((got) => got.some((r) => r.path === '/hook/same-bundle'));
    assert.equal(typeOf(from('/same-bundle')[0]!), 'handshake');
    assert.equal(from('/unknown').length + from('/disallowed').length, 0);
  });

  it('backport-max-count: a backlog (endpoint failing meanwhile) arrives in fewer notifications, numbers in order', async () => {
    const created = await subscribe(TOPIC_URL, '/batched', {
      extension: [{ url: `${IG}/backport-max-count`, valuePositiveInt: 5 }],
    });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id as string;
    assert.equal((await settled(id)).status, 'active');
    receiver.answer(503);
    try {
      for (let i = 0; i < 3; i++) await server.fhir('/Encounter', { method: 'POST', body: encounter('b', 'finished') });
      await eventually(async () => {
        const row = (await server.app.subscriptions!.engine.list()).find((r) => r.id === id);
        return row?.eventsQueued === 3 ? true : undefined;
      }, 'three events queued');
    } finally {
      receiver.answer(200);
    }
    const events = () => from('/batched').filter((r) => typeOf(r) === 'event-notification');
    await receiver.until(() => events().some((r) => r.eventNumber === 3));
    const got = events();
    assert.deepEqual(
      got.flatMap((r) => eventNumbers(r.json)),
      [1, 2, 3],
    );
    assert.ok(
      got.some((r) => eventNumbers(r.json).length > 1),
      'at least one notification carries several events',
    );
    for (const r of got) {
      const numbers = eventNumbers(r.json);
      assert.equal(r.eventNumber, numbers[numbers.length - 1], 'the header names the last event of the bundle');
    }
  });

  it('a failing handshake keeps the subscription from active and ends in error after repeated failures', async () => {
    receiver.answer(500);
    try {
      const created = await subscribe(TOPIC_URL, '/refusing');
      const s = await settled(created.body.id);
      assert.equal(s.status, 'error');
      assert.match(s.error ?? '', /handshake/);
    } finally {
      receiver.answer(200);
    }
  });
  it('websocket bound with a binding token: the handshake bundle, heartbeats and numbered events on that socket', async () => {
    const created = await server.fhir('/Subscription', {
      method: 'POST',
      body: {
        resourceType: 'Subscription',
        status: 'requested',
        reason: 'websocket test',
        criteria: TOPIC_URL,
        _criteria: {
          extension: [{ url: `${IG}/backport-filter-criteria`, valueString: 'Encounter?patient=Patient/a' }],
        },
        channel: {
          type: 'websocket',
          payload: 'application/fhir+json',
          _payload: { extension: [{ url: `${IG}/backport-payload-content`, valueCode: 'id-only' }] },
          extension: [{ url: `${IG}/backport-heartbeat-period`, valueUnsignedInt: 1 }],
        },
      },
    });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id as string;
    assert.equal((await settled(id)).status, 'active');
    const issued = await server.fhir(`/Subscription/${id}/$get-ws-binding-token`);
    assert.equal(issued.status, 200, issued.text);
    const value = (name: string) => issued.body.parameter.find((p: any) => p.name === name);
    const socket = new WebSocket(value('websocket-url').valueUrl as string);
    try {
      const got: string[] = [];
      socket.on('message', (m) => got.push(String(m)));
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      socket.send(`bind-with-token ${value('token').valueString}`);
      const bundles = () => got.filter((m) => m.startsWith('{')).map((m) => JSON.parse(m));
      const typeOfBundle = (b: any) => param(statusParams(b), 'type').valueCode as string;
      await eventually(async () => (bundles().length >= 1 ? true : undefined), 'the handshake');
      assert.equal(got[0], `bound ${id}`);
      const handshake = bundles()[0];
      assert.equal(handshake.type, 'history');
      assert.equal(typeOfBundle(handshake), 'handshake');
      assert.equal(param(statusParams(handshake), 'status').valueCode, 'active');
      assert.equal(param(statusParams(handshake), 'topic').valueCanonical, TOPIC_URL);
      assert.equal(param(statusParams(handshake), 'events-since-subscription-start').valueString, '0');

      // a heartbeat within the period (1 s) while nothing else is sent
      await eventually(
        async () => (bundles().some((b) => typeOfBundle(b) === 'heartbeat') ? true : undefined),
        'a heartbeat on the socket',
      );
      const heartbeat = bundles().find((b) => typeOfBundle(b) === 'heartbeat');
      assert.equal(param(statusParams(heartbeat), 'status').valueCode, 'active');
      assert.equal(eventNumbers(heartbeat).length, 0);

      // then the events, numbered from 1, another patient's left out
      await server.fhir('/Encounter', { method: 'POST', body: encounter('b', 'finished') });
      const first = await server.fhir('/Encounter', { method: 'POST', body: encounter('a', 'finished') });
      const second = await server.fhir('/Encounter', { method: 'POST', body: encounter('a', 'finished') });
      const events = () => bundles().filter((b) => typeOfBundle(b) === 'event-notification');
      await eventually(async () => (events().length >= 2 ? true : undefined), 'two event notifications');
      assert.deepEqual(
        events().map((b) => eventNumbers(b)),
        [[1], [2]],
      );
      assert.deepEqual(
        events().map((b) => param(statusParams(b), 'notification-event').part.find((p: any) => p.name === 'focus')),
        [first, second].map((r) => ({
          name: 'focus',
          valueReference: { reference: `${server.baseUrl}/Encounter/${r.body.id}/_history/1` },
        })),
      );
    } finally {
      socket.terminate();
    }
  });
});
