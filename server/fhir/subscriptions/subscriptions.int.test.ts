/**
 * Subscriptions end to end on the real app (PGlite store, in-process engine): a real HTTP receiver and a real
 * websocket client; criteria with the server's search semantics; payloads; a failing endpoint to error and back;
 * a patient-scoped owner who must never hear of another patient's data; websocket binding tokens
 * ($get-ws-binding-token, `bind-with-token`).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { Subscription } from '@medplum/fhirtypes';
import type { TestServer } from '../../testing/test-server.js';
import { startSubscriptionTestServer } from './testing/subscription-test-server.js';
import { FULL_ACCESS, type AccessPolicy } from '../access-policy.js';
import { policyFromScopes } from '../../auth/scope-policy.js';
import { eventually, type Receiver } from './testing/receiver.js';
import { REVOKED_CLOSE_CODE, WEBSOCKET_PATH } from './websocket-hub.js';
import { unauthorized } from '../../auth/auth-errors.js';

const TOKENS: Record<string, AccessPolicy> = {
  'Bearer patient-a': policyFromScopes({
    scope: 'patient/*.rs patient/Subscription.cud',
    patient: 'a',
    fhirUser: 'Patient/a',
  }),
  'Bearer patient-b': policyFromScopes({ scope: 'patient/*.rs patient/Subscription.cud', patient: 'b' }),
  /** Another access token of patient a's user (same who and patient), revoked by a test. */
  'Bearer patient-a-again': policyFromScopes({
    scope: 'patient/*.rs patient/Subscription.cud',
    patient: 'a',
    fhirUser: 'Patient/a',
  }),
  'Bearer labs-only': policyFromScopes({ scope: 'user/Observation.rs user/Subscription.cud', sub: 'labs' }),
  'Bearer no-observations': policyFromScopes({ scope: 'user/Patient.rs user/Subscription.cud', sub: 'clerk' }),
};

/** Access tokens revoked: refused as the server refuses a revoked token (401), on REST and on the socket alike. */
const REVOKED = new Set<string>();

const code = (c: string) => ({ coding: [{ system: 'http://loinc.org', code: c }] });
const observation = (patient: string, c = '1234-5', value = 1) => ({
  resourceType: 'Observation',
  status: 'final',
  code: code(c),
  subject: { reference: `Patient/${patient}` },
  valueQuantity: { value, unit: 'mg' },
});

describe('subscriptions (rest-hook, websocket)', () => {
  let server: TestServer;
  let receiver: Receiver;
  let close: () => Promise<void>;

  before(async () => {
    ({ server, receiver, close } = await startSubscriptionTestServer(
      // binding tokens valid 10 minutes instead of the default 2
      { SUBSCRIPTION_WS_BINDING_TOKEN_SECONDS: '600' },
      async (req) => {
        const header = req.get('authorization');
        if (!header) return { ...FULL_ACCESS, who: 'system' };
        const policy = TOKENS[header];
        if (REVOKED.has(header)) throw unauthorized('test', 'the access token has been revoked', 'invalid_token');
        if (!policy) throw unauthorized('test', 'unknown token', 'invalid_token');
        return policy;
      },
    ));
    for (const id of ['a', 'b'])
      assert.equal(
        (await server.fhir(`/Patient/${id}`, { method: 'PUT', body: { resourceType: 'Patient', id } })).status,
        201,
      );
  });
  after(() => close?.());

  const subscribe = async (sub: Partial<Subscription>, token?: string) =>
    server.fhir('/Subscription', {
      method: 'POST',
      body: { resourceType: 'Subscription', status: 'requested', reason: 'test', ...sub },
      ...(token ? { headers: { authorization: token } } : {}),
    });
  const restHook = (criteria: string, extra: Partial<Subscription['channel']> = {}, path = '') => ({
    criteria,
    channel: { type: 'rest-hook' as const, endpoint: `${receiver.url}${path}`, ...extra },
  });
  const statusOf = async (id: string) => (await server.fhir(`/Subscription/${id}`)).body as Subscription;
  const active = (id: string) =>
    eventually(async () => ((await statusOf(id)).status === 'active' ? true : undefined), `Subscription/${id} active`);
  const from = (path: string) => receiver.received.filter((r) => r.path === `/hook${path}`);

  it('refuses what it cannot deliver: bad criteria, unknown channel, reserved headers (400), wider than the token (403)', async () => {
    assert.equal((await subscribe(restHook('Observation?nonsense-param=1'))).status, 400);
    assert.equal((await subscribe(restHook('NotAType?x=1'))).status, 400);
    assert.equal((await subscribe(restHook('Observation?subject.name=x'))).status, 400); // a chain
    assert.equal(
      (await subscribe({ criteria: 'Observation', channel: { type: 'email', endpoint: 'mailto:x@y' } })).status,
      400,
    );
    assert.equal((await subscribe(restHook('Observation', { header: ['Content-Type: text/plain'] }))).status, 400);
    assert.equal((await subscribe(restHook('Observation', { endpoint: 'ftp://x' }))).status, 400);
    const wider = await subscribe(restHook('Observation'), 'Bearer no-observations');
    assert.equal(wider.status, 403, wider.text);
  });

  it('create, update and delete arrive in order with monotonic event numbers, custom headers, full resources', async () => {
    const created = await subscribe(
      restHook(
        'Observation?code=http://loinc.org|1234-5',
        { payload: 'application/fhir+json', header: ['X-Api-Key: k1'] },
        '/full',
      ),
    );
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.status, 'requested');
    const id = created.body.id as string;
    await active(id);
    const obs = await server.fhir('/Observation', { method: 'POST', body: observation('a') });
    await server.fhir('/Observation', { method: 'POST', body: observation('a', '9999-9') }); // does not match
    await server.fhir(`/Observation/${obs.body.id}`, {
      method: 'PUT',
      body: { ...observation('a', '1234-5', 2), id: obs.body.id },
    });
    await server.fhir(`/Observation/${obs.body.id}`, { method: 'DELETE' });
    await receiver.until(() => from('/full').length >= 3);
    const got = from('/full');
    assert.deepEqual(
      got.map((r) => r.eventNumber),
      [1, 2, 3],
    );
    assert.equal(got[0]!.headers['x-api-key'], 'k1');
    assert.equal(got[0]!.headers['content-type'], 'application/fhir+json');
    const methods = got.map((r) => r.json.entry[1].request.method);
    assert.deepEqual(methods, ['POST', 'PUT', 'DELETE']);
    assert.equal(got[0]!.json.entry[1].resource.valueQuantity.value, 1);
    assert.equal(got[1]!.json.entry[1].resource.valueQuantity.value, 2);
    assert.equal(got[2]!.json.entry[1].resource, undefined);
    const status = got[2]!.json.entry[0].resource;
    assert.equal(status.resourceType, 'Parameters');
    const events = status.parameter.find((p: any) => p.name === 'notification-event');
    assert.equal(events.part.find((p: any) => p.name === 'event-number').valueString, '3');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(from('/full').length, 3, 'nothing else (the non-matching Observation) arrives');
  });

  it('payload none: an empty POST naming subscription and event number; id-only: references without content', async () => {
    const none = await subscribe(restHook('Observation?code=http://loinc.org|5555-5', {}, '/none'));
    const ids = await subscribe(
      restHook(
        'Observation?code=http://loinc.org|5555-5',
        {
          payload: 'application/fhir+json',
          _payload: {
            extension: [
              {
                url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content',
                valueCode: 'id-only',
              },
            ],
          },
        } as never,
        '/ids',
      ),
    );
    assert.equal(ids.status, 201, ids.text);
    await active(none.body.id);
    await active(ids.body.id);
    const obs = await server.fhir('/Observation', { method: 'POST', body: observation('b', '5555-5') });
    await receiver.until(() => from('/none').length >= 1 && from('/ids').length >= 1);
    assert.equal(from('/none')[0]!.body, '');
    assert.equal(from('/none')[0]!.subscription, none.body.id);
    assert.equal(from('/none')[0]!.eventNumber, 1);
    const bundle = from('/ids')[0]!.json;
    assert.equal(bundle.entry.length, 1);
    const focus = bundle.entry[0].resource.parameter
      .find((p: any) => p.name === 'notification-event')
      .part.find((p: any) => p.name === 'focus').valueReference.reference;
    assert.match(focus, new RegExp(`/Observation/${obs.body.id}/_history/1$`));
  });

  it('a failing endpoint moves the subscription to error with the reason, and back to active when it recovers', async () => {
    const created = await subscribe(restHook('Observation?code=http://loinc.org|7777-7', {}, '/flaky'));
    await active(created.body.id);
    receiver.answer(503);
    await server.fhir('/Observation', { method: 'POST', body: observation('a', '7777-7', 1) });
    await server.fhir('/Observation', { method: 'POST', body: observation('a', '7777-7', 2) });
    const failed = await eventually(async () => {
      const s = await statusOf(created.body.id);
      return s.status === 'error' ? s : undefined;
    }, 'status error');
    assert.match(failed.error ?? '', /503/);
    const listed = (await server.app.subscriptions!.engine.list()).find((r) => r.id === created.body.id);
    assert.match(listed?.lastError ?? '', /503/);
    receiver.answer(200);
    await receiver.until(() => from('/flaky').length >= 2, 60_000);
    assert.deepEqual(
      from('/flaky').map((r) => r.eventNumber),
      [1, 2],
    );
    await active(created.body.id);
    const after = (await server.app.subscriptions!.engine.list()).find((r) => r.id === created.body.id);
    assert.equal(after?.deliveredThrough, 2);
    assert.ok(after?.lastDeliveryAt);
  });

  it('a backlog of more than 20 events goes in bundles of several (no backport-max-count), in order, none lost', async () => {
    const created = await subscribe(
      restHook('Observation?code=http://loinc.org|6666-6', { payload: 'application/fhir+json' }, '/backlog'),
    );
    assert.equal(created.status, 201, created.text);
    const id = created.body.id as string;
    await active(id);
    const written: string[] = [];
    const write = async () => {
      const res = await server.fhir('/Observation', {
        method: 'POST',
        body: observation('a', '6666-6', written.length),
      });
      assert.equal(res.status, 201);
      written.push(res.body.id as string);
    };
    // one event, delivered alone: no backlog, one event per notification
    await write();
    await receiver.until(() => from('/backlog').length >= 1);
    receiver.answer(503);
    try {
      for (let i = 0; i < 30; i++) await write();
      await eventually(async () => {
        const row = (await server.app.subscriptions!.engine.list()).find((r) => r.id === id);
        return row?.eventsQueued === 31 ? true : undefined;
      }, '31 events queued');
    } finally {
      receiver.answer(200);
    }
    await receiver.until(() => from('/backlog').some((r) => r.eventNumber === 31), 60_000);
    const got = from('/backlog');
    const numbersOf = (json: any): number[] =>
      json.entry[0].resource.parameter
        .filter((p: any) => p.name === 'notification-event')
        .map((p: any) => Number(p.part.find((x: any) => x.name === 'event-number').valueString));
    assert.equal(numbersOf(got[0]!.json).length, 1);
    assert.deepEqual(
      got.flatMap((r) => numbersOf(r.json)),
      Array.from({ length: 31 }, (_, k) => k + 1),
    );
    assert.ok(got.length < 31, `${got.length} notifications for 31 events`);
    // each event's resource, in the order written; the header names the last event of its bundle
    assert.deepEqual(
      got.flatMap((r) => r.json.entry.slice(1).map((e: any) => e.resource.id)),
      written,
    );
    for (const r of got) assert.equal(r.eventNumber, numbersOf(r.json).at(-1));
  });

  it("a patient-scoped owner hears only of its own patient's resources (rest-hook and websocket)", async () => {
    const mine = await subscribe(restHook('Observation', {}, '/patient-a'), 'Bearer patient-a');
    assert.equal(mine.status, 201, mine.text);
    await active(mine.body.id);
    // another patient's token may not change it
    const stolen = await server.fhir(`/Subscription/${mine.body.id}`, {
      method: 'PUT',
      body: { ...(await statusOf(mine.body.id)), channel: { type: 'rest-hook', endpoint: `${receiver.url}/stolen` } },
      headers: { authorization: 'Bearer patient-b' },
    });
    assert.equal(stolen.status, 403);
    await server.fhir('/Observation', { method: 'POST', body: observation('b', '1111-1') });
    const own = await server.fhir('/Observation', { method: 'POST', body: observation('a', '1111-1') });
    await server.fhir('/Observation', { method: 'POST', body: observation('b', '1111-2') });
    await receiver.until(() => from('/patient-a').length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(from('/patient-a').length, 1);
    assert.equal(from('/patient-a')[0]!.eventNumber, 1);
    assert.equal(from('/stolen').length, 0);
    const events = (await server.app.subscriptions!.engine.list()).find((r) => r.id === mine.body.id);
    assert.equal(events?.eventsQueued, 1, "B's Observations gave no event (no gap in A's numbers)");
    assert.ok(own.body.id);
  });

  it('websocket: bind with the owner token, ping + notification bundles in order; a foreign token cannot bind', async () => {
    const created = await subscribe(
      {
        criteria: 'Observation?code=http://loinc.org|3333-3',
        channel: { type: 'websocket', payload: 'application/fhir+json' },
      },
      'Bearer patient-a',
    );
    assert.equal(created.status, 201, created.text);
    const id = created.body.id as string;
    await active(id);
    const url = server.baseUrl.replace(/^http/, 'ws').replace(/\/fhir$/, WEBSOCKET_PATH);
    const messages: string[] = [];
    const socket = new WebSocket(url, { headers: { authorization: 'Bearer patient-a' } });
    socket.on('message', (m) => messages.push(String(m)));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(`bind ${id}`);
    await eventually(async () => (messages.includes(`bound ${id}`) ? true : undefined), 'bound');

    const intruder = new WebSocket(url);
    const intruderMessages: string[] = [];
    intruder.on('message', (m) => intruderMessages.push(String(m)));
    await new Promise((resolve, reject) => intruder.once('open', resolve).once('error', reject));
    intruder.send('bearer patient-b');
    intruder.send(`bind ${id}`);
    await eventually(async () => (intruderMessages.some((m) => m.startsWith('error')) ? true : undefined), 'refusal');

    const obs = await server.fhir('/Observation', { method: 'POST', body: observation('a', '3333-3') });
    await server.fhir(`/Observation/${obs.body.id}`, {
      method: 'PUT',
      body: { ...observation('a', '3333-3', 5), id: obs.body.id },
    });
    await server.fhir(`/Observation/${obs.body.id}`, { method: 'DELETE' });
    await server.fhir('/Observation', { method: 'POST', body: observation('b', '3333-3') }); // not A's
    const bundles = () => messages.filter((m) => m.startsWith('{')).map((m) => JSON.parse(m));
    await eventually(async () => (bundles().length >= 3 ? true : undefined), 'three websocket notifications');
    await new Promise((r) => setTimeout(r, 300));
    const numbers = bundles().map(
      (b) =>
        b.entry[0].resource.parameter
          .find((p: any) => p.name === 'notification-event')
          .part.find((p: any) => p.name === 'event-number').valueString,
    );
    assert.deepEqual(numbers, ['1', '2', '3']);
    assert.deepEqual(
      bundles().map((b) => b.entry[1].request.method),
      ['POST', 'PUT', 'DELETE'],
    );
    assert.equal(messages.filter((m) => m === `ping ${id}`).length, 3);
    assert.ok(!intruderMessages.some((m) => m.startsWith('{') || m.startsWith('ping')));
    socket.close();
    intruder.close();
  });
  it('$get-ws-binding-token: the owner gets a short-lived token that binds only its subscriptions, and nothing else', async () => {
    const sockets: WebSocket[] = [];
    try {
      const websocketSub = (token: string) =>
        subscribe(
          {
            criteria: 'Observation?code=http://loinc.org|4444-4',
            channel: { type: 'websocket', payload: 'application/fhir+json' },
          },
          token,
        );
      const a = (await websocketSub('Bearer patient-a')).body.id as string;
      const b = (await websocketSub('Bearer patient-b')).body.id as string;
      await active(a);
      await active(b);
      const asA = { headers: { authorization: 'Bearer patient-a' } };
      const param = (p: any, name: string) => p.parameter.filter((x: any) => x.name === name);

      const issued = await server.fhir(`/Subscription/${a}/$get-ws-binding-token`, asA);
      assert.equal(issued.status, 200, issued.text);
      const token = param(issued.body, 'token')[0].valueString as string;
      const expiresIn = Date.parse(param(issued.body, 'expiration')[0].valueDateTime) - Date.now();
      // as SUBSCRIPTION_WS_BINDING_TOKEN_SECONDS says (600 here)
      assert.ok(expiresIn > 540_000 && expiresIn <= 610_000, `valid 600 s: ${expiresIn} ms`);
      assert.deepEqual(
        param(issued.body, 'subscription').map((p: any) => p.valueString),
        [a],
      );
      const wsUrl = param(issued.body, 'websocket-url')[0].valueUrl as string;
      assert.equal(wsUrl, server.baseUrl.replace(/^http/, 'ws').replace(/\/fhir$/, WEBSOCKET_PATH));

      // who may not have one: another patient (cannot read it), a token that may not read Subscriptions, a caller that
      // may read it but is not its owner; a subscription on another channel; no id at type level
      const refused = async (path: string, token: string | undefined, status: number) => {
        const res = await server.fhir(path, token ? { headers: { authorization: token } } : {});
        assert.equal(res.status, status, `${path} as ${token}: ${res.text}`);
        assert.equal(res.body.resourceType, 'OperationOutcome');
      };
      await refused(`/Subscription/${b}/$get-ws-binding-token`, 'Bearer patient-a', 403);
      await refused(`/Subscription/$get-ws-binding-token?id=${a},${b}`, 'Bearer patient-a', 403);
      await refused(`/Subscription/${a}/$get-ws-binding-token`, 'Bearer labs-only', 403);
      await refused(`/Subscription/${a}/$get-ws-binding-token`, undefined, 403); // full access, not the owner
      await refused(`/Subscription/$get-ws-binding-token`, 'Bearer patient-a', 400);
      await refused(`/Subscription/no-such-one/$get-ws-binding-token`, 'Bearer patient-a', 404);
      const restHookOfA = await subscribe(restHook('Observation', {}, '/a-hook'), 'Bearer patient-a');
      await refused(`/Subscription/${restHookOfA.body.id}/$get-ws-binding-token`, 'Bearer patient-a', 400);

      // a socket with no access token at all binds with the binding token
      const open = async (headers: Record<string, string> = {}) => {
        const socket = new WebSocket(wsUrl, { headers });
        sockets.push(socket);
        const got: string[] = [];
        socket.on('message', (m) => got.push(String(m)));
        await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
        const say = async (text: string, count = 1) => {
          const before = got.length;
          socket.send(text);
          await eventually(async () => (got.length >= before + count ? true : undefined), `answer to ${text}`);
          return got.slice(before, before + count);
        };
        return { socket, got, say };
      };
      const client = await open();
      // bound, then the handshake bundle of the Backport IG (status, no event) before any notification
      const [bound, handshake] = await client.say(`bind-with-token ${token}`, 2);
      assert.equal(bound, `bound ${a}`);
      const shake = JSON.parse(handshake!);
      assert.equal(shake.type, 'history');
      const shakeStatus = shake.entry[0].resource;
      assert.equal(param(shakeStatus, 'type')[0].valueCode, 'handshake');
      assert.equal(param(shakeStatus, 'status')[0].valueCode, 'active');
      assert.equal(param(shakeStatus, 'notification-event').length, 0);
      assert.match(param(shakeStatus, 'subscription')[0].valueReference.reference, new RegExp(`/Subscription/${a}$`));
      // the binding token is no access token: `bind` of B on this socket, or of A with it as bearer, is refused
      assert.match((await client.say(`bind ${b}`))[0]!, new RegExp(`^error ${b} `));
      const misuse = await open();
      await misuse.say(`bearer ${token}`);
      assert.match((await misuse.say(`bind ${a}`))[0]!, new RegExp(`^error ${a} `));
      assert.equal(
        (await server.fhir(`/Subscription/${a}`, { headers: { authorization: `Bearer ${token}` } })).status,
        401,
      );

      // forged, altered and expired tokens bind nothing
      const intruder = await open();
      const forged = 'A'.repeat(43);
      const altered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
      for (const t of [forged, altered, 'x', `${token} extra`])
        assert.match((await intruder.say(`bind-with-token ${t}`))[0]!, /^error - /, t);
      const later = await server.fhir(`/Subscription/$get-ws-binding-token?id=${a}`, asA);
      assert.equal(later.status, 200, later.text);
      const expiring = param(later.body, 'token')[0].valueString as string;
      await server.app.subscriptions!.db.query(
        `UPDATE websocket_binding_tokens SET expires_at = now() - interval '1 second'`,
      );
      assert.match((await intruder.say(`bind-with-token ${expiring}`))[0]!, /^error - .*expired/);
      assert.match((await intruder.say(`bind-with-token ${token}`))[0]!, /^error - /, 'the first token expired too');

      // B binds its own with its own token; each socket hears only its owner's patient
      const tokenB = await server.fhir(`/Subscription/${b}/$get-ws-binding-token`, {
        headers: { authorization: 'Bearer patient-b' },
      });
      const clientB = await open();
      assert.deepEqual(await clientB.say(`bind-with-token ${param(tokenB.body, 'token')[0].valueString}`), [
        `bound ${b}`,
      ]);
      await server.fhir('/Observation', { method: 'POST', body: observation('b', '4444-4') });
      const mine = await server.fhir('/Observation', { method: 'POST', body: observation('a', '4444-4', 7) });
      await server.fhir('/Observation', { method: 'POST', body: observation('b', '4444-4') });
      const bundles = (got: string[]) =>
        got
          .filter((m) => m.startsWith('{'))
          .map((m) => JSON.parse(m))
          .filter((n) => param(n.entry[0].resource, 'type')[0].valueCode === 'event-notification');
      await eventually(async () => (bundles(client.got).length >= 1 ? true : undefined), "A's notification");
      await eventually(async () => (bundles(clientB.got).length >= 2 ? true : undefined), "B's notifications");
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(bundles(client.got).length, 1);
      assert.equal(bundles(client.got)[0].entry[1].resource.id, mine.body.id);
      assert.equal(bundles(client.got)[0].entry[1].resource.subject.reference, 'Patient/a');
      assert.ok(bundles(clientB.got).every((n) => n.entry[1].resource.subject.reference === 'Patient/b'));
      assert.ok(!client.got.includes(`ping ${b}`));
      assert.ok(!intruder.got.concat(misuse.got).some((m) => m.startsWith('{') || m.startsWith('ping')));
    } finally {
      for (const socket of sockets) socket.terminate();
    }
  });
  it('a binding dies with the access token behind it (revoked: binds nothing, bound sockets told and closed)', async () => {
    const sockets: WebSocket[] = [];
    try {
      const created = await subscribe(
        {
          criteria: 'Observation?code=http://loinc.org|5555-5',
          channel: { type: 'websocket', payload: 'application/fhir+json' },
        },
        'Bearer patient-a',
      );
      assert.equal(created.status, 201, created.text);
      const id = created.body.id as string;
      await active(id);
      const issue = async () => {
        const res = await server.fhir(`/Subscription/${id}/$get-ws-binding-token`, {
          headers: { authorization: 'Bearer patient-a-again' },
        });
        assert.equal(res.status, 200, res.text);
        return res.body.parameter.find((p: any) => p.name === 'token').valueString as string;
      };
      const usedBefore = await issue();
      const unusedBefore = await issue();
      const closedWith = new Map<WebSocket, number>();
      const connect = async () => {
        const socket = new WebSocket(server.baseUrl.replace(/^http/, 'ws').replace(/\/fhir$/, WEBSOCKET_PATH));
        sockets.push(socket);
        const got: string[] = [];
        socket.on('message', (m) => got.push(String(m)));
        socket.on('close', (code) => closedWith.set(socket, code));
        await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
        return { socket, got };
      };
      const bindWith = async (token: string) => {
        const { got } = await connect();
        (sockets[sockets.length - 1] as WebSocket).send(`bind-with-token ${token}`);
        await eventually(async () => (got.length > 0 ? true : undefined), 'answer to bind-with-token');
        return got;
      };
      const boundBefore = await bindWith(usedBefore);
      const boundBeforeSocket = sockets[sockets.length - 1] as WebSocket;
      assert.equal(boundBefore[0], `bound ${id}`);
      // R4 binding: the socket's own bearer token (the same access token), then `bind`
      const r4 = await connect();
      r4.socket.send('bearer patient-a-again');
      r4.socket.send(`bind ${id}`);
      await eventually(async () => (r4.got.includes(`bound ${id}`) ? true : undefined), 'bound with the bearer');
      // the owner's other token keeps its socket
      const other = await server.fhir(`/Subscription/${id}/$get-ws-binding-token`, {
        headers: { authorization: 'Bearer patient-a' },
      });
      const otherToken = other.body.parameter.find((p: any) => p.name === 'token').valueString as string;
      const kept = await bindWith(otherToken);
      const keptSocket = sockets[sockets.length - 1] as WebSocket;
      assert.equal(kept[0], `bound ${id}`);
      const events = (got: string[]) => got.filter((m) => m.startsWith('{') && m.includes('event-notification'));
      assert.equal(
        (await server.fhir('/Observation', { method: 'POST', body: observation('a', '5555-5') })).status,
        201,
      );
      await eventually(
        async () => ([boundBefore, r4.got, kept].every((g) => events(g).length === 1) ? true : undefined),
        'the first notification on the three sockets',
      );

      REVOKED.add('Bearer patient-a-again');
      // sockets bound earlier with the revoked token: told why and closed at the next notification, which they miss
      const later = await server.fhir('/Observation', { method: 'POST', body: observation('a', '5555-5', 2) });
      assert.equal(later.status, 201);
      await eventually(async () => (events(kept).length === 2 ? true : undefined), 'the kept socket hears on');
      await eventually(
        async () => (closedWith.has(boundBeforeSocket) && closedWith.has(r4.socket) ? true : undefined),
        'the revoked sockets closed',
      );
      for (const [socket, got] of [
        [boundBeforeSocket, boundBefore],
        [r4.socket, r4.got],
      ] as const) {
        assert.equal(closedWith.get(socket), REVOKED_CLOSE_CODE);
        assert.match(got[got.length - 1]!, new RegExp(`^error ${id} .*revoked`));
        assert.equal(events(got).length, 1, 'nothing after the revocation');
        assert.ok(!got.some((m) => m.includes(later.body.id as string)));
      }
      assert.ok(!closedWith.has(keptSocket));
      // both tokens, the one already used and the one not yet, bind nothing once the access token is revoked
      for (const token of [usedBefore, unusedBefore]) {
        const got = await bindWith(token);
        assert.equal(got.length, 1);
        assert.match(got[0]!, /^error - .*revoked/);
      }
      // a fresh one cannot be had with the revoked token; the owner's other token still gets one that binds
      const refused = await server.fhir(`/Subscription/${id}/$get-ws-binding-token`, {
        headers: { authorization: 'Bearer patient-a-again' },
      });
      assert.equal(refused.status, 401);
      const another = await server.fhir(`/Subscription/${id}/$get-ws-binding-token`, {
        headers: { authorization: 'Bearer patient-a' },
      });
      const anotherToken = another.body.parameter.find((p: any) => p.name === 'token').valueString as string;
      assert.equal((await bindWith(anotherToken))[0], `bound ${id}`);
    } finally {
      REVOKED.clear();
      for (const socket of sockets) socket.terminate();
    }
  });
});
