/**
 * Tells listeners that the FHIR store committed (or may have committed) a write, so consumers of the change log
 * (subscriptions) wake at once instead of polling. A hint only: listeners still read the log, and writes by other
 * nodes are not seen here (consumers keep a fallback poll for those).
 */
import type { ResourceStore } from '../store/resource-store.js';

export class WriteSignal {
  private readonly listeners = new Set<() => void>();

  /** Calls `listener` after each write; returns the unsubscribe function. */
  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  fire(): void {
    for (const l of this.listeners) l();
  }

  /**
   * The same store, signalling after every `write` and every `withLocks` (whose function writes through the locked
   * store it is given) has settled — committed or failed: a spurious wake costs one log read. Everything else is the
   * store's own (a Proxy keeps `instanceof` and getters such as sqlClient).
   */
  observe(store: ResourceStore): ResourceStore {
    const signal = () => this.fire();
    return new Proxy(store, {
      get(target, prop) {
        if (prop === 'write')
          return (writes: Parameters<ResourceStore['write']>[0]) => target.write(writes).finally(signal);
        if (prop === 'withLocks')
          return <T>(keys: readonly string[], fn: (s: ResourceStore) => Promise<T>) =>
            target.withLocks(keys, fn).finally(signal);
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}
