/**
 * Group commit of independent writes (issue 20): while `maxInFlight` write statements are running, further writes
 * wait in a queue; when a statement ends, the waiting writes go as ONE statement (write-versions.ts: one round trip,
 * one commit, one WAL flush for all of them) instead of one each. A lone write never waits: below the limit it runs
 * at once, exactly as before.
 *
 * Each write keeps its own meaning:
 * - nothing is acknowledged before the statement holding it committed (each caller's promise settles after it);
 * - a group never holds two writes of the same resource (a later one waits for the next group), so a version
 *   conflict inside a group is always a conflict with what is already committed;
 * - when a group's statement fails with an SQL error (a version conflict of one member, a value one member's row
 *   cannot hold, a deadlock), the statement was undone as a whole and each member is written again on its own: the
 *   ones that conflict get their own VersionConflictError, the others commit. A connection lost mid-statement
 *   (outcome unknown) fails every member, as it failed the lone write before.
 * - writes of more than `maxGroupVersions` versions (large transaction bundles) and writes naming the same resource
 *   twice run alone, as before.
 */
import { VersionConflictError, type VersionWrite } from '../resource-store.js';

type Waiting = { writes: VersionWrite[]; keys: string[]; resolve: () => void; reject: (error: unknown) => void };

export type GroupCommitOptions = {
  /** Write statements running at once before later writes are grouped (server: a few; the pool serves reads too). */
  maxInFlight: number;
  /** Versions in one group; a write larger than this runs alone. */
  maxGroupVersions: number;
};

export class GroupCommit {
  #inFlight = 0;
  readonly #queue: Waiting[] = [];

  constructor(
    private readonly run: (writes: VersionWrite[]) => Promise<void>,
    private readonly options: GroupCommitOptions,
  ) {}

  write(writes: VersionWrite[]): Promise<void> {
    const keys = writes.map((w) => `${w.resourceType}/${w.id}`);
    if (writes.length > this.options.maxGroupVersions || new Set(keys).size !== keys.length) return this.run(writes);
    if (this.#inFlight < this.options.maxInFlight && this.#queue.length === 0) return this.#alone(writes);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ writes, keys, resolve, reject });
      this.#drain();
    });
  }

  async #alone(writes: VersionWrite[]): Promise<void> {
    this.#inFlight++;
    try {
      await this.run(writes);
    } finally {
      this.#inFlight--;
      this.#drain();
    }
  }

  #drain(): void {
    while (this.#inFlight < this.options.maxInFlight && this.#queue.length > 0) {
      const group = this.#takeGroup();
      this.#inFlight++;
      void this.#runGroup(group).finally(() => {
        this.#inFlight--;
        this.#drain();
      });
    }
  }

  /** The longest prefix-preserving group: first come first, skipping (for the next group) a write of a key taken. */
  #takeGroup(): Waiting[] {
    const group: Waiting[] = [];
    const taken = new Set<string>();
    let versions = 0;
    for (let i = 0; i < this.#queue.length;) {
      const item = this.#queue[i]!;
      if (item.keys.some((k) => taken.has(k))) {
        i++; // the same resource as a member: the next group
        continue;
      }
      if (versions + item.writes.length > this.options.maxGroupVersions) break; // full
      group.push(item);
      for (const k of item.keys) taken.add(k);
      versions += item.writes.length;
      this.#queue.splice(i, 1);
    }
    return group;
  }

  async #runGroup(group: Waiting[]): Promise<void> {
    if (group.length === 1) {
      const [only] = group;
      await this.run(only!.writes).then(only!.resolve, only!.reject);
      return;
    }
    try {
      await this.run(group.flatMap((g) => g.writes));
    } catch (error) {
      if (!isStatementError(error)) {
        for (const g of group) g.reject(error);
        return;
      }
      // undone as a whole: each member on its own, so that only the ones at fault fail
      await Promise.all(group.map((g) => this.run(g.writes).then(g.resolve, g.reject)));
      return;
    }
    for (const g of group) g.resolve();
  }
}

/**
 * An error after which the group's statement is known to be undone or never sent: one the server raised for it (an
 * SQLSTATE; a VersionConflictError is write-versions.ts's FH409), or one of this process's own checks and
 * encodings before sending (TypeError, RangeError). Not a lost connection (the pg driver's plain errors, SQLSTATE
 * class 08) nor a shutdown or cancellation (57): the outcome is unknown, so the whole group fails as the lone write
 * did before — a member that did commit is never written again (and never answered as a conflict it was not).
 */
function isStatementError(error: unknown): boolean {
  if (error instanceof VersionConflictError || error instanceof TypeError || error instanceof RangeError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57');
}
