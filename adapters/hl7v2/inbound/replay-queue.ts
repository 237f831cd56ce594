/** Replays due messages of the queue through the inbound pipeline (after a fix of data, mappings or the server). */
import type { InboundDeps, InboundResult } from './process-message.js';
import type { QueueItem } from '../log/message-log.js';
import { processMessage } from './process-message.js';

export interface ReplaySummary {
  readonly attempted: number;
  readonly completed: number;
  readonly failed: number;
}

export async function replayQueue(
  deps: InboundDeps,
  options: { limit?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<ReplaySummary> {
  const items = await deps.log.due(options.limit ?? 1000);
  let completed = 0;
  let failed = 0;
  for (const [i, item] of items.entries()) {
    const result = await replayItem(deps, item);
    if (result.code === 'AA') completed++;
    else if (!result.busy) failed++;
    options.onProgress?.(i + 1, items.length);
  }
  return { attempted: items.length, completed, failed };
}

/**
 * Replays one queue item (a stored message) through the inbound pipeline and settles the item: completed, failed
 * again for now (retried with back-off), or failed for good (a permanent error: no more automatic attempts). An
 * item whose message another process is working on is left as it is.
 */
export async function replayItem(deps: InboundDeps, item: QueueItem): Promise<InboundResult> {
  const result = await processMessage(item.raw, deps, { replayOf: item.messageId });
  if (result.busy) return result;
  await deps.log.log(
    item.messageId,
    result.code === 'AA' ? 'info' : 'error',
    'retry',
    `replay ${item.attempts + 1}: ${result.code}${result.code !== 'AA' && !result.transient ? ' (permanent: no more automatic attempts)' : ''}`,
  );
  const error = result.ack?.split('\r').find((s) => s.startsWith('ERR')) ?? result.code;
  if (result.code === 'AA') await deps.log.settle(item.id, 'completed');
  else await deps.log.settle(item.id, result.transient ? 'failed' : 'permanent', error);
  return result;
}
