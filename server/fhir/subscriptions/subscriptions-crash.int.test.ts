/**
 * The server process (npm start, embedded PGlite) killed with SIGKILL while notifications are flowing, then
 * restarted on the same data: every acknowledged write is notified at least once, and after dropping repeats by
 * event number the events are exactly 1..n, in order, each naming its own resource.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  killStartedServers,
  startServerProcess,
  waitReady,
  type ServerProcess,
} from '../../testing/server-process.js';
import { eventually, startReceiver } from './testing/receiver.js';

const dataDir = mkdtempSync(join(tmpdir(), 'nilecare-subs-crash-'));
const ID_ONLY = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content';

describe('subscriptions across kill -9', () => {
  after(() => {
    killStartedServers();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers every event at least once, and exactly once after dedupe by event number', async () => {
    const receiver = await startReceiver();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      PORT: String(port),
      PGLITE_DATA_DIR: dataDir,
      NILECARE_AUTH: 'disabled',
      EXPORT_DIR: join(dataDir, 'exports'),
      MLLP_PORT: '-1',
      LOG_LEVEL: 'warn',
      SUBSCRIPTION_POLL_MS: '20',
      SUBSCRIPTION_RETRY_BASE_MS: '50',
    };
    const post = (path: string, body: unknown) =>
      fetch(`${base}/fhir${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: JSON.stringify(body),
      });
    let server: ServerProcess = startServerProcess(env);
    try {
      await waitReady(base, server);
      const created = await post('/Subscription', {
        resourceType: 'Subscription',
        status: 'requested',
        reason: 'crash test',
        criteria: 'Observation?code=http://loinc.org|2345-7',
        channel: {
          type: 'rest-hook',
          endpoint: receiver.url,
          payload: 'application/fhir+json',
          _payload: { extension: [{ url: ID_ONLY, valueCode: 'id-only' }] },
        },
      });
      assert.equal(created.status, 201);
      const subscriptionId = ((await created.json()) as { id: string }).id;
      await eventually(async () => {
        const s = (await (await fetch(`${base}/fhir/Subscription/${subscriptionId}`)).json()) as { status: string };
        return s.status === 'active' ? true : undefined;
      }, 'active');

      const acknowledged: string[] = [];
      const write = async (i: number) => {
        const response = await post('/Observation', {
          resourceType: 'Observation',
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
          valueQuantity: { value: i, unit: 'mg/dL' },
        });
        if (response.status === 201) acknowledged.push(((await response.json()) as { id: string }).id);
      };
      // Writes in the background while notifications flow; the kill lands in the middle of both.
      let i = 0;
      const writer = (async () => {
        for (; i < 40; i++) await write(i).catch(() => undefined);
      })();
      await receiver.until((r) => r.length >= 8);
      server.child.kill('SIGKILL');
      await server.exited;
      await writer;
      const beforeKill = acknowledged.length;

      server = startServerProcess(env);
      await waitReady(base, server);
      for (let j = 0; j < 20; j++) await write(100 + j);
      const total = acknowledged.length;
      assert.ok(total >= beforeKill + 20);

      // a notification may carry several events (a backlog goes in bundles): each event's number and focus
      const eventsOf = (json: any): Array<{ number: number; id: string }> =>
        json.entry[0].resource.parameter
          .filter((p: any) => p.name === 'notification-event')
          .map((e: any) => ({
            number: Number(e.part.find((p: any) => p.name === 'event-number').valueString),
            id: e.part
              .find((p: any) => p.name === 'focus')
              .valueReference.reference.match(/Observation\/([^/]+)\/_history/)[1],
          }));
      const deliveries = () => receiver.received.flatMap((r) => eventsOf(r.json));
      await receiver.until(() => {
        const seen = new Set(deliveries().map((e) => e.id));
        return acknowledged.every((id) => seen.has(id));
      }, 90_000);

      const byNumber = new Map<number, string>();
      for (const e of deliveries()) {
        const seen = byNumber.get(e.number);
        assert.ok(seen === undefined || seen === e.id, `event ${e.number} always names the same resource`);
        byNumber.set(e.number, e.id);
      }
      const numbers = [...byNumber.keys()].sort((a, b) => a - b);
      assert.deepEqual(
        numbers,
        numbers.map((_, k) => k + 1),
        'event numbers 1..n without gaps',
      );
      // at least one event per acknowledged write; an unacknowledged write cut by the kill may add one more
      assert.ok(numbers.length >= total && numbers.length <= total + 1, `${numbers.length} events, ${total} writes`);
      const firstSeen = deliveries()
        .map((e) => e.number)
        .filter((n, k, all) => all.indexOf(n) === k);
      assert.deepEqual(firstSeen, numbers, 'first deliveries arrive in event-number order');
      for (const r of receiver.received) {
        const numbersOfBundle = eventsOf(r.json).map((e) => e.number);
        assert.equal(r.eventNumber, numbersOfBundle[numbersOfBundle.length - 1], 'the header names the last event');
      }
      process.stdout.write(
        `# ${receiver.received.length} notifications, ${deliveries().length} event deliveries for ${numbers.length} events (${deliveries().length - numbers.length} repeats after the kill)\n`,
      );
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      await receiver.close();
    }
  });
});
