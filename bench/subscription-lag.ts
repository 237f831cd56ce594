/**
 * Subscription notification lag: the real app in this process on a fresh in-memory PGlite store (or, with
 * `--store postgres`, a fresh database on the local PostgreSQL server: the database work in other processes), `--subscriptions`
 * active rest-hook subscriptions with id-only payloads (each on its own Observation code; `--matching` of them watch
 * the code the writes use), Observations written over HTTP at `--rate` per second with at most `--inflight` requests
 * open at once (a write whose turn comes while the cap is reached waits for a slot: the achieved rate says whether
 * the server kept up), and a real HTTP receiver. Lag = time from the write's 201 to the arrival of a notification
 * naming that Observation (the focus reference of the id-only bundle), per matching subscription. Prints JSON:
 * p50/p99 ms, notifications expected and delivered, writes/s asked and achieved, the load average of the machine.
 *
 *   npx tsx bench/subscription-lag.ts [--subscriptions 1000] [--seconds 10] [--rate 500] [--matching 10] [--inflight 32]
 *     [--store pglite|postgres]
 */
import { loadavg } from 'node:os';
import { pino } from 'pino';
import { openPgliteTestStore } from '../server/store/postgres/testing/pglite-template.js';
import { createTestDatabase } from '../server/store/postgres/testing/test-stores.js';
import { openPostgresStore } from '../server/store/postgres/open-postgres-store.js';
import { startTestServer } from '../server/testing/test-server.js';
import { startReceiver } from '../server/fhir/subscriptions/testing/receiver.js';
import { PAYLOAD_CONTENT_EXTENSION } from '../server/fhir/subscriptions/subscription-model.js';
import { percentile } from './stats.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const subscriptions = arg('subscriptions', 1000);
const seconds = arg('seconds', 10);
const rate = arg('rate', 500);
const matching = arg('matching', 10);
const inflightCap = arg('inflight', 32);
const storeKind = process.argv.includes('postgres') ? 'postgres' : 'pglite';
const writes = Math.round(seconds * rate);
const load = () => loadavg().map((l) => Math.round(l * 100) / 100);
const loadAtStart = load();

const database = storeKind === 'postgres' ? await createTestDatabase() : undefined;
const store = database ? await openPostgresStore({ url: database.url, poolSize: 8 }) : await openPgliteTestStore();
const server = await startTestServer(store, {
  env: {
    NILECARE_SUBSCRIPTIONS: 'on',
    SUBSCRIPTION_POLL_MS: '50',
    ...(database ? { NILECARE_STORE: 'postgres', DATABASE_URL: database.url } : {}),
  },
  logger: pino({ level: process.env.BENCH_LOG ?? 'silent' }, pino.destination(2)),
});
const receiver = await startReceiver();
const code = (c: string) => ({ coding: [{ system: 'http://loinc.org', code: c }] });
const every = Math.max(1, Math.round(subscriptions / Math.max(1, matching)));

for (let s = 0; s < subscriptions; s++) {
  const watched = s % every === 0 ? 'bench-1' : `other-${s}`;
  const r = await server.fhir('/Subscription', {
    method: 'POST',
    body: {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'bench',
      criteria: `Observation?code=http://loinc.org|${watched}`,
      channel: {
        type: 'rest-hook',
        endpoint: receiver.url,
        payload: 'application/fhir+json',
        _payload: { extension: [{ url: PAYLOAD_CONTENT_EXTENSION, valueCode: 'id-only' }] },
      },
    },
  });
  if (r.status !== 201) throw new Error(r.text);
}
const engine = server.app.subscriptions!.engine;
// every subscription seen by the engine and active before the clock starts
for (;;) {
  const rows = await engine.list();
  if (rows.length === subscriptions && rows.every((r) => r.status === 'active')) break;
  await new Promise((r) => setTimeout(r, 100));
}
const watching = (await engine.list()).filter((r) => r.resource.criteria?.endsWith('|bench-1')).length;

const writtenAt = new Map<string, number>();
const early: Array<{ id: string; at: number }> = []; // notifications that beat the 201 to the driver
const lags: number[] = [];
const arrived = new Set<string>();
const take = () => {
  for (const r of receiver.received.splice(0)) {
    const key = `${r.subscription}#${r.eventNumber}`;
    if (arrived.has(key)) continue;
    arrived.add(key);
    const focus: string | undefined = r.json?.entry?.[0]?.resource?.parameter
      ?.find((p: { name: string }) => p.name === 'notification-event')
      ?.part?.find((p: { name: string }) => p.name === 'focus')?.valueReference?.reference;
    const id = focus?.split('/')[focus.split('/').indexOf('Observation') + 1];
    if (!id) continue;
    const at = writtenAt.get(id);
    if (at === undefined) early.push({ id, at: Date.now() });
    else lags.push(Date.now() - at);
  }
};
const poll = setInterval(take, 5);
// progress on stderr with BENCH_LOG: arrivals, the feed's backlog, events queued vs delivered
const progress = process.env.BENCH_LOG
  ? setInterval(() => {
      void (async () => {
        const rows = await engine.list();
        const queued = rows.reduce((n, r) => n + r.eventsQueued, 0);
        const delivered = rows.reduce((n, r) => n + r.deliveredThrough, 0);
        const lag = await engine.lag();
        console.error(JSON.stringify({ arrived: arrived.size, queued, delivered, feedBehind: lag.lagChanges }));
      })();
    }, 5000)
  : undefined;

const started = Date.now();
let inflight = 0;
let peakInflight = 0;
let waitedForSlot = 0;
const slotFreed: Array<() => void> = [];
const pending: Promise<void>[] = [];
for (let i = 0; i < writes; i++) {
  const wait = started + (i * 1000) / rate - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  if (inflight >= inflightCap) {
    waitedForSlot++;
    await new Promise<void>((r) => slotFreed.push(r));
  }
  inflight++;
  peakInflight = Math.max(peakInflight, inflight);
  pending.push(
    server
      .fhir('/Observation', {
        method: 'POST',
        body: { resourceType: 'Observation', status: 'final', code: code('bench-1'), valueQuantity: { value: i } },
      })
      .then((r) => {
        if (r.status !== 201) throw new Error(r.text);
        writtenAt.set(r.body.id as string, Date.now());
      })
      .finally(() => {
        inflight--;
        slotFreed.shift()?.();
      }),
  );
}
await Promise.all(pending);
const writeSeconds = (Date.now() - started) / 1000;
const loadAtEndOfWrites = load();
const expected = writes * watching;
const deadline = Date.now() + 180_000;
while (arrived.size < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
clearInterval(poll);
clearInterval(progress);
take();
for (const e of early) lags.push(Math.max(0, e.at - (writtenAt.get(e.id) ?? e.at))); // arrived before the 201: lag <= 0
lags.sort((a, b) => a - b);
console.log(
  JSON.stringify(
    {
      store:
        storeKind === 'postgres'
          ? 'postgres (local server; app, load driver and receiver share one Node process)'
          : 'pglite (in process; app, load driver and receiver share one Node process)',
      subscriptions,
      watchingTheWrittenCode: watching,
      writes,
      writesPerSecondAsked: rate,
      writesPerSecondAchieved: Math.round((writes / writeSeconds) * 10) / 10,
      inflightCap,
      peakInflight,
      writesThatWaitedForASlot: waitedForSlot,
      notificationsExpected: expected,
      notificationsDelivered: arrived.size,
      lagMs: { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags[lags.length - 1] ?? null },
      loadAverage: { atStart: loadAtStart, endOfWrites: loadAtEndOfWrites, atEnd: load() },
      cpus: (await import('node:os')).availableParallelism(),
      note: 'wall time on a machine shared with other work; lag from the 201 of the write to the notification',
    },
    null,
    2,
  ),
);
await receiver.close();
await server.close();
await store.close();
await database?.drop();
