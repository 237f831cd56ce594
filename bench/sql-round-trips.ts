/**
 * SQL round trips and PostgreSQL transactions per REST request on the PostgreSQL store: the real app in process
 * (server/testing/test-server.ts) on a fresh database, configured as `npm start` runs it (subscriptions and the
 * duplicate check on, their defaults), every pg query counted (pg.Client.prototype.query) during N sequential creates
 * of distinct patients and N reads, background work included (the change feed's consumers woken by the writes). A
 * transaction is a statement outside BEGIN…COMMIT or one BEGIN…COMMIT. An idle window of the same length is counted
 * too (timers: polls), so what the requests cause is the difference.
 * Prints one JSON object: statements and transactions per create / per read, by statement (name or text).
 * Usage: npx tsx bench/sql-round-trips.ts [count=50] [--subscriptions off] [--duplicate-check off]
 */
import pg from 'pg';
import { startTestServer } from '../server/testing/test-server.js';
import { postgresTestStore } from '../server/store/postgres/testing/test-stores.js';
import { distinctPatient } from './bench-patients.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 50);

const seen = new Map<string, number>();
let statements = 0;
let transactions = 0;
let counting = false;
const inTransaction = new WeakSet<object>();
const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
  this: object,
  ...callArgs: unknown[]
) {
  if (counting) {
    const config = callArgs[0] as string | { text?: string; name?: string };
    const text = (typeof config === 'string' ? config : (config?.name ?? config?.text ?? '?'))
      .replace(/\s+/g, ' ')
      .slice(0, 80);
    seen.set(text, (seen.get(text) ?? 0) + 1);
    statements++;
    const verb = text.trim().toUpperCase();
    if (verb === 'BEGIN' || verb.startsWith('BEGIN ')) {
      inTransaction.add(this);
      transactions++;
    } else if (verb === 'COMMIT' || verb === 'ROLLBACK') inTransaction.delete(this);
    else if (!inTransaction.has(this)) transactions++;
  }
  return original.apply(this, callArgs);
};

const { store, dispose } = await postgresTestStore();
const server = await startTestServer(store, {
  env: {
    NILECARE_SUBSCRIPTIONS: flag('--subscriptions') ?? 'on',
    NILECARE_DUPLICATE_CHECK: flag('--duplicate-check') ?? 'on',
  },
});
const settle = () => new Promise((r) => setTimeout(r, 300));

async function measure(run: (i: number) => Promise<void>) {
  seen.clear();
  statements = 0;
  transactions = 0;
  const started = performance.now();
  counting = true;
  for (let i = 0; i < count; i++) await run(i);
  await settle(); // the background work the requests woke
  counting = false;
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds: Math.round(seconds * 100) / 100,
    statementsPerRequest: statements / count,
    transactionsPerRequest: transactions / count,
    statements: Object.fromEntries([...seen].sort((a, b) => b[1] - a[1])),
  };
}

async function idle(seconds: number) {
  seen.clear();
  statements = 0;
  transactions = 0;
  counting = true;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  counting = false;
  return { seconds, statements, transactions, byStatement: Object.fromEntries(seen) };
}

// distinct realistic people (bench/bench-patients.ts): the duplicate check finds few candidates
const patient = (i: number) => distinctPatient(1, i, 'T');

try {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) await server.fhir('/Patient', { method: 'POST', body: patient(-1 - i) }); // warm-up
  await settle();
  const creates = await measure(async (i) => {
    const res = await server.fhir('/Patient', { method: 'POST', body: patient(i) });
    if (res.status !== 201) throw new Error(`create answered ${res.status}`);
    ids.push((res.body as { id: string }).id);
  });
  const reads = await measure(async (i) => {
    const res = await server.fhir(`/Patient/${ids[i % ids.length]}`);
    if (res.status !== 200) throw new Error(`read answered ${res.status}`);
  });
  const quiet = await idle(Math.max(1, Math.round(creates.seconds)));
  console.log(JSON.stringify({ count, creates, reads, idle: quiet }, null, 2));
} finally {
  await server.close();
  await dispose();
}
