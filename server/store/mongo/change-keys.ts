/**
 * The key a write gives each of its change documents before it commits: unique without a shared counter (time in
 * ms, a random tag of this process, a per-process counter), so write transactions never touch a common document.
 * Keys only order the changes still waiting for their seq (change-log.ts); they are not the feed's order.
 */
import { randomBytes } from 'node:crypto';

const PROCESS_TAG = randomBytes(5).toString('hex');
let counter = 0;

/** Sortable as a string: time first, then this process, then the order of the calls in this process. */
export function nextChangeKey(now = Date.now()): string {
  counter = (counter + 1) % 36 ** 8;
  return `${now.toString(36).padStart(9, '0')}.${PROCESS_TAG}.${counter.toString(36).padStart(8, '0')}`;
}
