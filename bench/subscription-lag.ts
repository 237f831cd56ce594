/**
 * Subscription notification lag: the real app in this process on a fresh in-memory PGlite store (or, with
 * `--store postgres`, a fresh database on the local PostgreSQL server: the database work in other processes), `--subscriptions`
 * active rest-hook subscriptions with id-only payloads (each on its own Observation code; `--matching` of them watch
 * the code the writes use), Observations written over HTTP at `--rate` per second with at most `--inflight` requests
 * open at once (a write whose turn comes while the cap is reached waits for a slot: the achieved rate says whether
 * the server kept up), and a real HTTP receiver in a child process (bench/subscription-receiver-child.ts). Lag = time
 * from the write's 201 to the arrival of a notification naming that Observation (the focus reference of the id-only
 * bundle), per matching subscription. `--max-count N` sets backport-max-count on the subscriptions (up to N events per
 * notification; default: one notification per event). Prints JSON: p50/p99 ms, notifications expected and delivered,
 * writes/s asked and achieved, the load average, and CPU seconds from the first write until the last notification
 * arrived: this process (server + load driver), the PostgreSQL backends of the bench database, the receiver; per write
 * and per notification, and the write rate 2 cores would sustain at that CPU cost (`cpuBoundWritesPerSecond`). Run
 * once with `--matching 0` for the cost of a write alone: the difference is the cost of the notifications.
 *
 * `--spread`: the writes cycle through subscriptions / matching codes, each watched by `matching` subscriptions of its
 * own (with `--matching 1`: every subscription watches one code, each write reaches one of them, as patient- or
 * code-scoped subscriptions do); without it the same `matching` subscriptions watch every write.
 *
 *   npx tsx bench/subscription-lag.ts [--subscriptions 1000] [--seconds 10] [--rate 500] [--matching 10] [--inflight 32]
 *     [--store pglite|postgres] [--max-count N] [--spread]
 */
import { fork } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { pino } from 'pino';
import { openPgliteTestStore } from '../server/store/postgres/testing/pglite-template.js';
import { BENCH_DATABASE_PREFIX, createTestDatabase } from '../server/store/postgres/testing/test-stores.js';
import { openPostgresStore } from '../server/store/postgres/open-postgres-store.js';
import { startTestServer } from '../server/testing/test-server.js';
import { MAX_COUNT_EXTENSION, PAYLOAD_CONTENT_EXTENSION } from '../server/fhir/subscriptions/subscription-model.js';
import { CpuMeter, cpuTicks } from './cpu-meter.js';
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
const maxCount = arg('max-count', 0);
// --spread: the writes cycle through subscriptions / matching codes, each watched by `matching` subscriptions (with
// --matching 1 every subscription watches a code of its own, as patient- or code-scoped subscriptions do); without it
// the same `matching` subscriptions watch every write
const spread = process.argv.includes('--spread');
const writes = Math.round(seconds * rate);
const load = () => loadavg().map((l) => Math.round(l * 100) / 100);
const loadAtStart = load();

const database = storeKind === 'postgres' ? await createTestDatabase(BENCH_DATABASE_PREFIX) : undefined;
const store = database ? await openPostgresStore({ url: database.url, poolSize: 8 }) : await openPgliteTestStore();
const server = await startTestServer(store, {
  env: {
    NILECARE_SUBSCRIPTIONS: 'on',
    SUBSCRIPTION_POLL_MS: '50',
    ...(database ? { NILECARE_STORE: 'postgres', DATABASE_URL: database.url } : {}),
  },
  logger: pino({ level: process.env.BENCH_LOG ?? 'silent' }, pino.destination(2)),
});
const receiverProcess = fork(new URL('./subscription-receiver-child.ts', import.meta.url).pathname, [], {
  execArgv: ['--import', 'tsx'],
});
type Arrival = [string, number, string, number];
const arrivals: Arrival[] = [];
const receiverUrl = await new Promise<string>((resolve) =>
  receiverProcess.on('message', (m: { url?: string; arrived?: Arrival[] }) => {
    if (m.url) resolve(m.url);
    if (m.arrived) arrivals.push(...m.arrived);
  }),
);
const code = (c: string) => ({ coding: [{ system: 'http://loinc.org', code: c }] });
const every = Math.max(1, Math.round(subscriptions / Math.max(1, matching)));
// --matching 0: none watches the written code (the cost of a write alone); it used to leave one watching
const watches = (s: number) => matching > 0 && s % every === 0;
/** The code subscription s watches, and the code of write i. */
const watchedBy = (s: number) => (spread ? `bench-${s % every}` : watches(s) ? 'bench-1' : `other-${s}`);
const codeOfWrite = (i: number) => (spread ? `bench-${i % every}` : 'bench-1');

for (let s = 0; s < subscriptions; s++) {
  const watched = watchedBy(s);
  const r = await server.fhir('/Subscription', {
    method: 'POST',
    body: {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'bench',
      criteria: `Observation?code=http://loinc.org|${watched}`,
      channel: {
        type: 'rest-hook',
        endpoint: receiverUrl,
        payload: 'application/fhir+json',
        _payload: { extension: [{ url: PAYLOAD_CONTENT_EXTENSION, valueCode: 'id-only' }] },
        ...(maxCount > 0 ? { extension: [{ url: MAX_COUNT_EXTENSION, valuePositiveInt: maxCount }] } : {}),
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
// subscriptions watching each write (spread: every code is watched by the same number)
const watching = (await engine.list()).filter((r) => r.resource.criteria?.endsWith(`|${codeOfWrite(0)}`)).length;

// When each write was stored: its meta.lastUpdated (the app's clock, this process; the receiver child's clock is the
// same machine's). Not when the driver saw the 201: the driver shares its event loop with the app, and under load the
// 201's callback ran hundreds of ms after the notification had arrived (negative lags).
const writtenAt = new Map<string, number>();
const early: Array<{ id: string; at: number }> = []; // notifications that beat the 201 to the driver
const lags: number[] = [];
const arrived = new Set<string>();
let lastArrivalAt = 0;
const take = () => {
  for (const [subscription, eventNumber, id, at] of arrivals.splice(0)) {
    const key = `${subscription}#${eventNumber}`;
    if (arrived.has(key)) continue;
    arrived.add(key);
    lastArrivalAt = Math.max(lastArrivalAt, at);
    if (!id) continue;
    const written = writtenAt.get(id);
    if (written === undefined) early.push({ id, at });
    else lags.push(Math.max(0, at - written)); // lastUpdated has ms precision
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

const meter = await CpuMeter.open(
  process.pid,
  database ? { adminUrl: database.url, dbName: new URL(database.url).pathname.slice(1) } : undefined,
);
const cpuAtStart = await meter.snapshot();
const receiverTicksAtStart = cpuTicks(receiverProcess.pid as number);
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
        body: { resourceType: 'Observation', status: 'final', code: code(codeOfWrite(i)), valueQuantity: { value: i } },
      })
      .then((r) => {
        if (r.status !== 201) throw new Error(r.text);
        writtenAt.set(r.body.id as string, Date.parse(r.body.meta.lastUpdated as string));
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
await new Promise((r) => setTimeout(r, 100));
take();
const cpu = await meter.since(cpuAtStart);
const receiverCpuSeconds = (cpuTicks(receiverProcess.pid as number) - receiverTicksAtStart) / 100;
clearInterval(poll);
clearInterval(progress);
for (const e of early) lags.push(Math.max(0, e.at - (writtenAt.get(e.id) ?? e.at))); // arrived before the 201 was read
lags.sort((a, b) => a - b);
console.log(
  JSON.stringify(
    {
      store:
        storeKind === 'postgres'
          ? 'postgres (local server; app and load driver share one Node process, the receiver is a child process)'
          : 'pglite (in process; app and load driver share one Node process, the receiver is a child process)',
      subscriptions,
      watchingTheWrittenCode: watching,
      eachWriteWatchedByItsOwnSubscriptions: spread,
      writes,
      writesPerSecondAsked: rate,
      writesPerSecondAchieved: Math.round((writes / writeSeconds) * 10) / 10,
      inflightCap,
      peakInflight,
      writesThatWaitedForASlot: waitedForSlot,
      notificationsExpected: expected,
      notificationsDelivered: arrived.size,
      eventsPerNotificationMax: maxCount > 0 ? maxCount : 1,
      cpu: cpuFigures(),
      lagMs: { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags[lags.length - 1] ?? null },
      loadAverage: { atStart: loadAtStart, endOfWrites: loadAtEndOfWrites, atEnd: load() },
      cpus: availableParallelism(),
      note: "wall time on a machine shared with other work; lag from the write's meta.lastUpdated to the notification's arrival",
    },
    null,
    2,
  ),
);
receiverProcess.disconnect();
await meter.close();
await server.close();
await store.close();
await database?.drop();

/** CPU from the first write to the last arrival: where it went, per write and per notification event. */
function cpuFigures() {
  const r = (n: number, d = 100) => Math.round(n * d) / d;
  const serverAndPostgres = cpu.serverCpuSeconds + cpu.postgresCpuSeconds;
  const cpus = availableParallelism();
  return {
    window: 'first write until the last notification arrived',
    wallSeconds: r((Math.max(lastArrivalAt, started + writeSeconds * 1000) - started) / 1000),
    processCpuSeconds: cpu.serverCpuSeconds,
    postgresCpuSeconds: cpu.postgresCpuSeconds,
    receiverCpuSeconds: r(receiverCpuSeconds),
    cpuMsPerWrite: r((serverAndPostgres * 1000) / writes, 1000),
    cpuMsPerNotificationEvent: arrived.size ? r((serverAndPostgres * 1000) / arrived.size, 1000) : null,
    cpuBoundWritesPerSecond: r(writes / (serverAndPostgres / cpus), 1),
    note:
      'process = app + load driver (one Node process); per write and per event both divide the same total (server, ' +
      'driver, PostgreSQL; receiver excluded): compare with a --matching 0 run for the cost of the notifications alone',
  };
}
