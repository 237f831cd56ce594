/**
 * Subscription notification lag: the real app in this process on a fresh in-memory PGlite store, `--subscriptions`
 * active rest-hook subscriptions (each on its own Observation code; one in `--matching` of them watches the code the
 * writes use), writes of Observations at `--rate` per second over HTTP, and a real HTTP receiver. Lag = time from
 * the write's 201 to the notification's arrival. Prints JSON (p50/p99 ms, delivered, writes/s achieved).
 *
 *   npx tsx bench/subscription-lag.ts [--subscriptions 200] [--writes 600] [--rate 100] [--matching 10]
 */
import { pino } from 'pino';
import { openPgliteTestStore } from '../server/store/postgres/testing/pglite-template.js';
import { startTestServer } from '../server/testing/test-server.js';
import { startReceiver } from '../server/fhir/subscriptions/testing/receiver.js';
import { percentile } from './stats.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const subscriptions = arg('subscriptions', 200);
const writes = arg('writes', 600);
const rate = arg('rate', 100);
const matching = arg('matching', 10);

const store = await openPgliteTestStore();
const server = await startTestServer(store, {
  env: { NILECARE_SUBSCRIPTIONS: 'on', SUBSCRIPTION_POLL_MS: '50' },
  logger: pino({ level: 'silent' }),
});
const receiver = await startReceiver();
const writtenAt = new Map<string, number>();
const lags: number[] = [];
const arrived = new Set<string>();
const code = (c: string) => ({ coding: [{ system: 'http://loinc.org', code: c }] });

for (let s = 0; s < subscriptions; s++) {
  const watched = s % Math.max(1, Math.round(subscriptions / matching)) === 0 ? 'bench-1' : `other-${s}`;
  const r = await server.fhir('/Subscription', {
    method: 'POST',
    body: {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'bench',
      criteria: `Observation?code=http://loinc.org|${watched}`,
      channel: { type: 'rest-hook', endpoint: receiver.url },
    },
  });
  if (r.status !== 201) throw new Error(r.text);
}
const watching = (await server.app.subscriptions!.engine.list()).filter((r) =>
  r.resource.criteria?.endsWith('bench-1'),
).length;
// every subscription active before the clock starts
for (;;) {
  const rows = await server.app.subscriptions!.engine.list();
  if (rows.every((r) => r.status === 'active')) break;
  await new Promise((r) => setTimeout(r, 100));
}

const poll = setInterval(() => {
  for (const r of receiver.received.splice(0)) {
    const key = `${r.subscription}#${r.eventNumber}`;
    if (arrived.has(key)) continue;
    arrived.add(key);
    const at = writtenAt.get(`${r.eventNumber}`);
    if (at !== undefined) lags.push(Date.now() - at);
  }
}, 5);

const started = Date.now();
let done = 0;
const pending: Promise<void>[] = [];
for (let i = 0; i < writes; i++) {
  const due = started + (i * 1000) / rate;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  pending.push(
    server
      .fhir('/Observation', {
        method: 'POST',
        body: { resourceType: 'Observation', status: 'final', code: code('bench-1'), valueQuantity: { value: i } },
      })
      .then((r) => {
        if (r.status !== 201) throw new Error(r.text);
        done++;
        // events are numbered per subscription in commit order: the n-th write is event n of every watcher
        writtenAt.set(`${done}`, Date.now());
      }),
  );
}
await Promise.all(pending);
const writeSeconds = (Date.now() - started) / 1000;
const expected = writes * watching;
const deadline = Date.now() + 120_000;
while (arrived.size < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
clearInterval(poll);
lags.sort((a, b) => a - b);
console.log(
  JSON.stringify(
    {
      store: 'pglite (in process)',
      subscriptions,
      watchingTheWrittenCode: watching,
      writes,
      writesPerSecondAsked: rate,
      writesPerSecondAchieved: Math.round((writes / writeSeconds) * 10) / 10,
      notificationsExpected: expected,
      notificationsDelivered: arrived.size,
      lagMs: { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags[lags.length - 1] ?? null },
      note: 'wall time on a machine shared with other work; lag measured from the 201 of the write',
    },
    null,
    2,
  ),
);
await receiver.close();
await server.close();
await store.close();
