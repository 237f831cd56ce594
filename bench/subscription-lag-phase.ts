/**
 * The subscription-lag phase of `npm run bench`: runs bench/subscription-lag.ts in a child process (its own app,
 * store and HTTP receiver: 1,000 active rest-hook subscriptions, 10 of them watching the code written, Observations
 * at 500 writes/s) and reports its notification lag p99 against the target (≤ 1 s on 2 cores), with p50, the writes/s
 * achieved, the CPU per write and per notification and the load average in the detail. PostgreSQL runs use a fresh
 * PostgreSQL database; the other stores the in-process PGlite (the feed reads the same change log either way).
 * BENCH_SUBSCRIPTION_SECONDS sets how long writes go on (default 10, 4 with --quick).
 * `matching: 1` (figure subscriptionLagMatching1): each of the 1,000 subscriptions watches a code of its own and the
 * writes cycle through the codes (`--spread`), so each write reaches exactly one subscription, as patient- or
 * code-scoped subscriptions do; the issue does not say how many match a write, both figures are reported.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { atMost, type Figure } from './figures.js';
import { ownChild } from './child-processes.js';

export const SUBSCRIPTION_LAG_P99_TARGET_MS = 1000;

type LagOutput = {
  lagMs: { p50: number | null; p99: number | null; max: number | null };
  writesPerSecondAsked: number;
  writesPerSecondAchieved: number;
  notificationsExpected: number;
  notificationsDelivered: number;
  subscriptions: number;
  watchingTheWrittenCode: number;
  cpu: Record<string, unknown>;
  loadAverage: Record<string, number[]>;
  store: string;
};

export async function measureSubscriptionLag(
  o: { store: string; quick: boolean },
  matching: 10 | 1 = 10,
): Promise<Figure> {
  const seconds = process.env.BENCH_SUBSCRIPTION_SECONDS ?? (o.quick ? '4' : '10');
  const args = ['--subscriptions', '1000', '--matching', String(matching), '--rate', '500', '--seconds', seconds];
  if (matching === 1) args.push('--spread');
  if (o.store === 'postgres') args.push('--store', 'postgres');
  const script = fileURLToPath(new URL('./subscription-lag.ts', import.meta.url));
  const child = ownChild(
    spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`bench/subscription-lag.ts ended with code ${code}`);
  const r = JSON.parse(stdout) as LagOutput;
  if (r.lagMs.p99 === null) throw new Error('no notification arrived');
  return atMost(r.lagMs.p99, SUBSCRIPTION_LAG_P99_TARGET_MS, 'ms p99 notification lag', {
    p50Ms: r.lagMs.p50,
    maxMs: r.lagMs.max,
    subscriptions: r.subscriptions,
    watchingTheWrittenCode: r.watchingTheWrittenCode,
    eachWriteWatchedByItsOwnSubscriptions: matching === 1,
    writesPerSecondAsked: r.writesPerSecondAsked,
    writesPerSecondAchieved: r.writesPerSecondAchieved,
    notificationsExpected: r.notificationsExpected,
    notificationsDelivered: r.notificationsDelivered,
    cpu: r.cpu,
    loadAverage: r.loadAverage,
    store: r.store,
  });
}
