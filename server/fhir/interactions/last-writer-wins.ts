/**
 * Writes without If-Match are last-writer-wins (FHIR: the client did not ask to detect the race). The first attempt
 * is optimistic (no lock: the common, uncontended case costs nothing); a writer that loses the compare-and-set queues
 * behind the other writers of the resource (its instance lock) and tries again on the newer version. Under the lock
 * only a newcomer's own optimistic first attempt can still win a race, so the attempts are bounded; `exhausted` is the
 * answer if they all lose (many newcomers for one resource at once).
 *
 * Inside a lock already held (a conditional update holds its condition's lock) no second lock is taken: the attempts
 * are retried after short random pauses instead.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FhirContext } from '../fhir-context.js';
import { VersionConflictError } from '../../store/resource-store.js';
import { withLocks } from './conditional-locks.js';

const LOCKED_ATTEMPTS = 20;

export async function lastWriterWins<T>(
  ctx: FhirContext,
  lockKey: string,
  attempt: (ctx: FhirContext) => Promise<T>,
  exhausted: () => Error,
  isLostRace: (error: unknown) => boolean = (error) => error instanceof VersionConflictError,
): Promise<T> {
  try {
    return await attempt(ctx);
  } catch (error) {
    if (!isLostRace(error)) throw error;
  }
  const retry = async (c: FhirContext) => {
    for (let i = 0; i < LOCKED_ATTEMPTS; i++) {
      try {
        return await attempt(c);
      } catch (error) {
        if (!isLostRace(error)) throw error;
        if (ctx.locked) await sleep(1 + Math.random() * Math.min(50, 2 ** i));
      }
    }
    throw exhausted();
  };
  return ctx.locked ? retry(ctx) : withLocks(ctx, [lockKey], retry);
}
