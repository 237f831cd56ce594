/** Latency summaries and a bounded-concurrency pool for the load driver. */

export type LatencySummary = { count: number; p50: number; p99: number; mean: number; perSecond: number };

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(latenciesMs: number[], wallMs: number): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    mean: round(sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length)),
    perSecond: round(sorted.length / (wallMs / 1000)),
  };
}

/** Runs task(0..count-1) with at most `concurrency` in flight; the first failure stops the pool and is thrown. */
export async function runPool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  let failed: unknown;
  const start = performance.now();
  const worker = async () => {
    while (failed === undefined && next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what a worker threw
  if (failed !== undefined) throw failed;
  return performance.now() - start;
}

/** Times each call of fn over `count` runs at `concurrency`; returns the summary. */
export async function timed(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
): Promise<LatencySummary> {
  const latencies: number[] = new Array(count);
  const wall = await runPool(count, concurrency, async (i) => {
    const t0 = performance.now();
    await fn(i);
    latencies[i] = performance.now() - t0;
  });
  return summarize(latencies, wall);
}
