/**
 * In-process exclusive locks by key (FIFO per key). A caller asking for several keys takes them in sorted order,
 * so two callers wanting overlapping sets never wait on each other in a cycle. Every store puts these in front of
 * its cross-process lock (advisory lock, lease document): in one process only the first waiter of a key occupies a
 * database connection or polls, the others wait here at no cost.
 */

export class KeyedLocks {
  /** key → the tail of its queue (resolves when the last holder so far releases). */
  readonly #tails = new Map<string, Promise<void>>();

  /** Number of keys held or waited for (0 when idle: nothing leaks). */
  get size(): number {
    return this.#tails.size;
  }

  /** Runs fn while holding every key (duplicates ignored); released when fn settles. */
  async run<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(keys);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Takes every key in sorted order; the returned function releases them all (call it once). */
  async acquire(keys: readonly string[]): Promise<() => void> {
    const sorted = sortedUnique(keys);
    const releases: Array<() => void> = [];
    try {
      for (const key of sorted) releases.push(await this.#acquireOne(key));
    } catch (error) {
      for (const release of releases.reverse()) release();
      throw error;
    }
    return () => {
      for (const release of releases.reverse()) release();
    };
  }

  async #acquireOne(key: string): Promise<() => void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
  }
}

/** The keys once each, sorted (the one order every lock taker uses). */
export function sortedUnique(keys: readonly string[]): string[] {
  return [...new Set(keys)].sort();
}
