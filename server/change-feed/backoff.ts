/**
 * Exponential backoff shared by the change-feed consumers: the delay after the `attempt`-th failure (1, 2, …) is
 * base · 2^(attempt − 1), capped at maxMs. Used for the loop after failed batches, for the automatic retries of a
 * dead letter, and by a consumer's own delivery queue (HL7 sends).
 */
export function backoffMs(baseMs: number, attempt: number, maxMs = Infinity): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export type RetrySchedule = {
  /** Automatic attempts; after the last one a dead letter waits for a manual retry. */
  maxAttempts: number;
  /** Delay after the first failure; doubles per attempt. */
  baseMs: number;
  maxMs?: number;
};

/** When the next automatic attempt is due after `attempts` failures (SQL-comparable UTC text), or null: no more. */
export function nextAttemptAt(s: RetrySchedule, attempts: number, now = Date.now()): string | null {
  if (attempts >= s.maxAttempts) return null;
  return new Date(now + backoffMs(s.baseMs, attempts, s.maxMs)).toISOString().slice(0, 23);
}

/** The UTC time as the feed tables keep it (ISO text to milliseconds, no zone: sorts and compares as text). */
export const utcNow = () => new Date().toISOString().slice(0, 23);
