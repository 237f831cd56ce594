/**
 * Tells listeners that the FHIR store committed (or may have committed) a write, so consumers of the change log
 * (subscriptions) wake at once instead of polling. A hint only: listeners still read the log, and writes by other
 * nodes are not seen here (consumers keep a fallback poll for those). A signal names the resource types written when
 * known, so that a consumer can ignore writes nobody is watching.
 */
import type { ResourceStore } from '../store/resource-store.js';

/** The resource types a write touched, or undefined when not known (a `withLocks` function wrote through the store). */
export type WrittenTypes = readonly string[] | undefined;

export class WriteSignal {
  private readonly listeners = new Set<(types: WrittenTypes) => void>();

  /** Calls `listener` after each write; returns the unsubscribe function. */
  listen(listener: (types: WrittenTypes) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  fire(types?: WrittenTypes): void {
    for (const l of this.listeners) l(types);
  }

  /**
   * The same store, signalling after every `write` and every `withLocks` (whose function writes through the locked
   * store it is given) has settled — committed or failed: a spurious wake costs one log read. Everything else is the
   * store's own (a Proxy keeps `instanceof` and getters such as sqlClient).
   */
  observe(store: ResourceStore): ResourceStore {
    const fire = (types?: WrittenTypes) => this.fire(types);
    return new Proxy(store, {
      get(target, prop) {
        if (prop === 'write')
          return (writes: Parameters<ResourceStore['write']>[0]) =>
            target.write(writes).finally(() => fire([...new Set(writes.map((w) => w.resourceType))]));
        if (prop === 'withLocks')
          return <T>(keys: readonly string[], fn: (s: ResourceStore) => Promise<T>) =>
            target.withLocks(keys, fn).finally(() => fire());
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}
