/**
 * The keys under which match-then-write is atomic (ResourceStore.withLocks): a conditional create, update, patch or
 * delete, a transaction's ifNoneExist, conditional entries and conditional references all lock
 * `Type?criteria` (normalised: one condition written two ways is one key) before they search, and keep the lock
 * until their write committed. Two requests with the same condition therefore run one after the other: the second
 * one's search sees what the first one created. HL7 inbound writes through transactions, so patient and encounter
 * identity resolution is covered too.
 *
 * The key is the condition as written, not what it matches: `identifier=a|1` and `identifier=a|1&active=true` are
 * two keys (a client racing itself with two different conditions for one resource is not protected).
 */
import type { FhirContext } from '../fhir-context.js';
import { PAGING_PARAMS } from './find-matches.js';

/** `Patient?identifier=sys%7C1&name=x`: the type, then the filters sorted by name and value (paging ignored). */
export function criteriaLockKey(resourceType: string, criteria: ReadonlyArray<readonly [string, string]>): string {
  const filters = criteria
    .filter(([name]) => !PAGING_PARAMS.has(name))
    .map(([name, value]) => [name.trim(), value.trim()] as [string, string])
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return `${resourceType}?${new URLSearchParams(filters).toString()}`;
}

/** `Patient/123`: writers of one resource without If-Match queue here after losing a race (last writer wins). */
export function instanceLockKey(resourceType: string, id: string): string {
  return `${resourceType}/${id}`;
}

/**
 * Runs fn holding the keys; fn gets the context whose store it must use inside (on MongoDB, that store's writes
 * check the locks are still held). `ctx.locked` tells code below that a lock is held: it must not take another
 * (locks are taken all at once, in one order, or not at all).
 */
export function withLocks<T>(ctx: FhirContext, keys: readonly string[], fn: (ctx: FhirContext) => Promise<T>) {
  if (ctx.locked) throw new Error('withLocks inside withLocks: take every key at once');
  return ctx.store.withLocks(keys, (store) => fn({ ...ctx, store, locked: true }));
}
