/**
 * Idle cost of subscriptions (#22): the real app in this process on an in-memory PGlite store with subscriptions on,
 * no requests at all; CPU of this process (server + PGlite) per second of wall time, first with no Subscription,
 * then with `--subscriptions` active rest-hook subscriptions and still no writes. Then `--writes` Observations of a
 * code no subscription watches (8 at a time), CPU ms per write: with no Subscription (before any is created) and with
 * the active ones; run once more with `--off` for the app without subscriptions: the difference is what the
 * subscription engine costs a write it has nothing to deliver for. Prints JSON.
 *
 *   npx tsx bench/subscription-idle.ts [--seconds 10] [--subscriptions 1] [--writes 500] [--off]
 */
import { loadavg } from 'node:os';
import { pino } from 'pino';
import { openPgliteTestStore } from '../server/store/postgres/testing/pglite-template.js';
import { startTestServer } from '../server/testing/test-server.js';
import { startReceiver } from '../server/fhir/subscriptions/testing/receiver.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const seconds = arg('seconds', 10);
const subscriptions = arg('subscriptions', 1);
const off = process.argv.includes('--off');
const writes = arg('writes', 500);

const store = await openPgliteTestStore();
const server = await startTestServer(store, {
  env: { NILECARE_SUBSCRIPTIONS: off ? 'off' : 'on' },
  logger: pino({ level: 'silent' }),
});
const receiver = await startReceiver();
const settle = () => new Promise((r) => setTimeout(r, 1500));

/** CPU ms of this process per wall second over `seconds`. */
async function cpuPerSecond(): Promise<number> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const used = process.cpuUsage(cpu0);
  const wall = (performance.now() - t0) / 1000;
  return Math.round(((used.user + used.system) / 1000 / wall) * 10) / 10;
}

/** CPU ms of this process per Observation written (8 requests at a time), over `writes` writes. */
async function cpuPerWrite(): Promise<number> {
  const cpu0 = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < writes) {
        next++;
        const r = await server.fhir('/Observation', {
          method: 'POST',
          body: {
            resourceType: 'Observation',
            status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: 'not-watched' }] },
          },
        });
        if (r.status !== 201) throw new Error(r.text);
      }
    }),
  );
  await settle(); // what the writes set off afterwards counts too
  const used = process.cpuUsage(cpu0);
  return Math.round(((used.user + used.system) / 1000 / writes) * 100) / 100;
}

await settle();
const none = await cpuPerSecond();
const perWriteNone = await cpuPerWrite();
if (off) {
  console.log(
    JSON.stringify({
      subscriptions: 'off',
      cpuMsPerSecond: none,
      cpuMsPerWrite: perWriteNone,
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    }),
  );
  process.exit(0);
}
for (let s = 0; s < subscriptions; s++) {
  const r = await server.fhir('/Subscription', {
    method: 'POST',
    body: {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'idle bench',
      criteria: `Observation?code=http://loinc.org|idle-${s}`,
      channel: { type: 'rest-hook', endpoint: receiver.url },
    },
  });
  if (r.status !== 201) throw new Error(r.text);
}
for (;;) {
  const rows = await server.app.subscriptions!.engine.list();
  if (rows.length === subscriptions && rows.every((r) => r.status === 'active')) break;
  await new Promise((r) => setTimeout(r, 100));
}
await settle();
const active = await cpuPerSecond();
const perWriteActive = await cpuPerWrite();
console.log(
  JSON.stringify(
    {
      store: 'pglite (in process)',
      secondsMeasured: seconds,
      cpuMsPerSecond: { noSubscriptions: none, [`${subscriptions}ActiveNoWrites`]: active },
      cpuMsPerUnwatchedWrite: { noSubscriptions: perWriteNone, [`${subscriptions}Active`]: perWriteActive },
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      note: 'CPU of the whole process (app + PGlite + the writing client); SUBSCRIPTION_POLL_MS at its default',
    },
    null,
    2,
  ),
);
await receiver.close();
await server.close();
await store.close();
