/**
 * The creates of a batch, many at once (issue #20). A run of consecutive groupable POST entries (batch-grouping.ts)
 * is processed in rounds: the round's conditions (ifNoneExist) are locked together, searched, every create is
 * checked and validated on its own, and all of the round's new resources are committed in ONE store write — one
 * lock statement and one commit for the round instead of one of each per entry. Every entry keeps the outcome it
 * would have had with the entries run one after the other through createInteraction:
 * - an entry that fails (access, body, search, 412, validation) fails alone; when the joint write fails, each
 *   version is then written on its own, so a version the store refuses fails its entry only;
 * - an entry whose condition an earlier new resource of the round may match (the same condition, or the new
 *   resource matches the criteria in memory — search/matches semantics on the index the store will keep; anything
 *   that cannot be told in memory counts as a match) ends the round: it and the entries after it form the next
 *   round, which starts after this one committed — so it finds what the entries before it created;
 * - a condition stays race-free against every other request: locked (conditional-locks.ts) from before its search
 *   until the write committed, as in createInteraction; the response comes after the commit.
 * When the locks cannot be had (LockTimeoutError), the round's entries run one at a time instead.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';
import type { FhirResponse } from '../fhir-request.js';
import type { VersionWrite } from '../../store/resource-store.js';
import { preconditionFailed } from '../errors.js';
import { requireWriteAccess } from '../access/write-access.js';
import { checkResourceBody } from '../check-resource-body.js';
import { asStored } from '../interactions/commit-version.js';
import { createdResponse, existingMatchResponse, prepareNewResource } from '../interactions/create.js';
import { findMatches, parseCriteria } from '../interactions/find-matches.js';
import { criteriaLockKey, withLocks } from '../interactions/conditional-locks.js';
import { discardFreshContent } from '../binary/pending-content.js';
import { atEntry } from './entry-errors.js';
import type { EntryRequest } from './entry-request.js';
import { mayMatchAny, type NewResource } from './batch-condition-overlap.js';

export type EntryOutcome = { response: FhirResponse } | { error: unknown };

/** A round locks at most this many conditions and writes at most this many entries' versions. */
export const ROUND_CONDITIONS = 100;
export const ROUND_ENTRIES = 200;
/** ifNoneExist searches of a round in flight at once. */
const SEARCHES_IN_FLIGHT = 4;

type Checked = { request: EntryRequest; resource: Resource; criteria?: Array<[string, string]>; key?: string };
type Prepared = { checked: Checked; write: VersionWrite; companions: VersionWrite[]; resource: Resource };

/**
 * Creates the run's entries (all groupable creates, in bundle order); `oneAtATime` is the router path, used for a
 * round whose locks could not be had.
 */
export async function processCreateRun(
  ctx: FhirContext,
  run: readonly EntryRequest[],
  oneAtATime: (request: EntryRequest) => Promise<EntryOutcome>,
): Promise<Map<number, EntryOutcome>> {
  const outcomes = new Map<number, EntryOutcome>();
  let rest = run;
  while (rest.length > 0) {
    const round = takeRound(rest);
    const done = await processRound(ctx, round, outcomes, oneAtATime);
    rest = rest.slice(done);
  }
  return outcomes;
}

/** The first entries of `rest` within the round limits (at least one). */
function takeRound(rest: readonly EntryRequest[]): EntryRequest[] {
  const keys = new Set<string>();
  let n = 0;
  for (const request of rest) {
    if (n >= ROUND_ENTRIES) break;
    const ifNoneExist = request.headers['if-none-exist'];
    if (ifNoneExist) {
      const key = criteriaLockKey(request.resourceType as string, parseCriteria(ifNoneExist));
      if (!keys.has(key) && keys.size >= ROUND_CONDITIONS) break;
      keys.add(key);
    }
    n++;
  }
  return rest.slice(0, Math.max(1, n));
}

/** Runs one round; returns how many of its entries got their outcome (the rest start the next round). */
async function processRound(
  ctx: FhirContext,
  round: readonly EntryRequest[],
  outcomes: Map<number, EntryOutcome>,
  oneAtATime: (request: EntryRequest) => Promise<EntryOutcome>,
): Promise<number> {
  const fail = (request: EntryRequest, error: unknown) => outcomes.set(request.index, { error });
  // 1. What createInteraction checks before it locks: write access, the body.
  const checked: Checked[] = [];
  for (const request of round) {
    try {
      checked.push(await atEntry(request, () => checkEntry(ctx, request)));
    } catch (error) {
      fail(request, error);
    }
  }
  const keys = [...new Set(checked.flatMap((c) => (c.key ? [c.key] : [])))];
  let started = false;
  let result: { done: number; responses: Array<() => Promise<void>> } | undefined;
  try {
    await withLocks(ctx, keys, async (locked) => {
      started = true;
      result = await searchPrepareAndWrite(locked, round, checked, fail);
    });
  } catch (error) {
    if (!started) {
      // the locks could not be had (LockTimeoutError; nothing searched or written): one at a time instead
      for (const request of round) outcomes.set(request.index, await oneAtATime(request));
      return round.length;
    }
    // released with an error after the round ran (its write committed or not: each entry's outcome says), or a
    // fault of this code: an entry left without an outcome answers 500 (batch.ts), the others stand
    ctx.reportError?.(error);
    if (!result) return round.length;
  }
  // 4. Answers (after the commit and the locks, as createInteraction).
  const { done, responses } = result!;
  for (const respond of responses) await respond();
  for (const request of round.slice(done)) outcomes.delete(request.index); // the next round decides them
  return done;

  async function searchPrepareAndWrite(
    locked: FhirContext,
    entries: readonly EntryRequest[],
    valid: Checked[],
    failed: (request: EntryRequest, error: unknown) => void,
  ): Promise<{ done: number; responses: Array<() => Promise<void>> }> {
    // 2. The round's searches, each condition once.
    const searches = await searchConditions(locked, valid);
    // 3. In entry order: match, or prepare the create; stop at the first entry an earlier create may affect.
    const prepared: Prepared[] = [];
    const responses: Array<() => Promise<void>> = [];
    const createdKeys = new Set<string>();
    const newResources: NewResource[] = [];
    let done = entries.length;
    for (const c of valid) {
      if (c.key && c.criteria) {
        if (
          createdKeys.has(c.key) ||
          mayMatchAny(c.request.resourceType as string, c.criteria, newResources, locked.baseUrl)
        ) {
          done = entries.indexOf(c.request);
          break;
        }
        const found = searches.get(c.key)!;
        if ('error' in found) {
          failed(c.request, await entryError(c.request, found.error));
          continue;
        }
        const [match, second] = found.matches;
        if (second) {
          const text = c.request.headers['if-none-exist'] ?? '';
          const type = c.request.resourceType as string;
          failed(
            c.request,
            await entryError(c.request, preconditionFailed(`If-None-Exist "${text}" matches more than one ${type}`)),
          );
          continue;
        }
        if (match) {
          responses.push(async () => settle(c.request, () => existingMatchResponse(ctx, match)));
          continue;
        }
      }
      try {
        const p = await atEntry(c.request, () => prepareCreate(locked, c));
        prepared.push(p);
        if (c.key) createdKeys.add(c.key);
        for (const w of [...p.companions, p.write])
          newResources.push({ resourceType: w.resourceType, id: w.id, lastUpdated: w.lastUpdated, index: w.index });
      } catch (error) {
        failed(c.request, error);
      }
    }
    const stored = await writeAll(locked, prepared, failed);
    for (const p of stored)
      responses.push(async () => settle(p.checked.request, () => createdResponse(ctx, asStored(p.write))));
    // responses in entry order: outcomes is keyed by index, so the order of pushing does not matter for the Bundle
    return { done, responses };
  }

  async function settle(request: EntryRequest, fn: () => Promise<FhirResponse>): Promise<void> {
    try {
      outcomes.set(request.index, { response: await atEntry(request, fn) });
    } catch (error) {
      fail(request, error);
    }
  }
}

function checkEntry(ctx: FhirContext, request: EntryRequest): Checked {
  const type = request.resourceType as string;
  requireWriteAccess(ctx, 'create', type);
  const resource = checkResourceBody(request.body, ctx.resourceTypes, { resourceType: type });
  const ifNoneExist = request.headers['if-none-exist'];
  if (!ifNoneExist) return { request, resource };
  const criteria = parseCriteria(ifNoneExist);
  return { request, resource, criteria, key: criteriaLockKey(type, criteria) };
}

type Search = { matches: Resource[] } | { error: unknown };

/** findMatches of every distinct condition, a few in flight; an error is the entry's (named by atEntry). */
async function searchConditions(ctx: FhirContext, checked: readonly Checked[]): Promise<Map<string, Search>> {
  const firsts = new Map<string, Checked>();
  for (const c of checked) if (c.key && !firsts.has(c.key)) firsts.set(c.key, c);
  const todo = [...firsts.entries()];
  const out = new Map<string, Search>();
  const worker = async () => {
    for (let next = todo.shift(); next; next = todo.shift()) {
      const [key, c] = next;
      try {
        const type = c.request.resourceType as string;
        out.set(key, { matches: await findMatches(ctx, type, c.criteria!) });
      } catch (error) {
        out.set(key, { error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEARCHES_IN_FLIGHT, todo.length) }, worker));
  return out;
}

/** createResource up to the store write (prepareNewResource), kept with its entry. */
async function prepareCreate(ctx: FhirContext, c: Checked): Promise<Prepared> {
  const { toWrite, write, companions } = await prepareNewResource(ctx, c.resource);
  return { checked: c, write, companions, resource: toWrite };
}

/**
 * One store write of every prepared version; if it fails, each entry's versions on their own (the store writes
 * all or nothing, so nothing of the joint write stands). Returns the entries whose versions are stored.
 */
async function writeAll(
  ctx: FhirContext,
  prepared: Prepared[],
  failed: (request: EntryRequest, error: unknown) => void,
): Promise<Prepared[]> {
  if (prepared.length === 0) return [];
  try {
    await ctx.store.write(prepared.flatMap((p) => [...p.companions, p.write]));
    return prepared;
  } catch (error) {
    if (prepared.length === 1) {
      await discardFreshContent(ctx, [prepared[0]!.resource]);
      failed(prepared[0]!.checked.request, await entryError(prepared[0]!.checked.request, error));
      return [];
    }
  }
  const stored: Prepared[] = [];
  for (const p of prepared) {
    try {
      await ctx.store.write([...p.companions, p.write]);
      stored.push(p);
    } catch (error) {
      await discardFreshContent(ctx, [p.resource]);
      failed(p.checked.request, await entryError(p.checked.request, error));
    }
  }
  return stored;
}

/** The error as atEntry names it for the entry. */
function entryError(request: EntryRequest, error: unknown): Promise<unknown> {
  return atEntry(request, () => Promise.reject(error)).catch((e: unknown) => e);
}
