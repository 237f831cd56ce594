/**
 * Messages are never left behind: at start (before the listener accepts connections) and then every `everyMs`,
 * messages left `processing` by a crash or a lost node (stale lease, see message-log.ts) are finished — their
 * committed transaction is recognised by its Provenance, else they are processed from the stored raw message — and
 * the replay queue's due items (transient failures) are retried.
 */
import { processMessage, type InboundDeps, type InboundResult } from './process-message.js';
import { resolved } from './inbound-deps.js';
import { replayQueue, type ReplaySummary } from './replay-queue.js';

export async function recoverStale(deps: InboundDeps, limit = 200): Promise<InboundResult[]> {
  const d = resolved(deps);
  const results: InboundResult[] = [];
  for (const row of await d.log.stale(d.owner, limit)) {
    results.push(await processMessage(row.raw, deps, { replayOf: row.id }));
  }
  return results;
}

export interface InboundRecovery {
  /** One pass: stale messages, then due queue items. */
  runOnce(): Promise<{ recovered: InboundResult[]; replayed: ReplaySummary }>;
  stop(): Promise<void>;
}

export function startInboundRecovery(
  deps: InboundDeps,
  o: {
    everyMs?: number;
    onError?: (err: unknown) => void;
    onPass?: (r: { recovered: number; replayed: ReplaySummary }) => void;
  } = {},
): InboundRecovery {
  let running: Promise<unknown> | undefined;
  let stopped = false;
  const runOnce = async () => {
    const recovered = await recoverStale(deps);
    const replayed = await replayQueue(deps, { limit: 200 });
    o.onPass?.({ recovered: recovered.length, replayed });
    return { recovered, replayed };
  };
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = runOnce()
      .catch((err: unknown) => o.onError?.(err))
      .finally(() => (running = undefined));
  }, o.everyMs ?? 30_000);
  timer.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
