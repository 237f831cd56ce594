/**
 * The client-made conformance resources (profiles, ValueSets, CodeSystems, ConceptMaps) one request has looked up
 * through storedResources (terminology-context.ts), kept for the rest of that request only: the entries of a
 * transaction or batch naming one profile look it up once, not once per entry (issue #20: a Synthea bundle names a
 * US Core profile on most resources, and each lookup was a statement). Kept apart per AccessPolicy (what one caller
 * may read is not what validation, with full access, reads). A request that itself writes such a resource between
 * two validations forgets what it looked up (batch.ts); across requests nothing is kept, so an edit still takes
 * effect on the next request, on every app instance.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { AccessPolicy } from '../access-policy.js';

export class RequestLookups {
  #byAccess = new WeakMap<AccessPolicy, Map<string, Promise<Resource[]>>>();

  /** What `load` answers for this type and these parameters, loaded once per access; a failed load is not kept. */
  find(
    access: AccessPolicy,
    type: string,
    params: ReadonlyArray<readonly [string, string]>,
    load: () => Promise<Resource[]>,
  ): Promise<Resource[]> {
    let held = this.#byAccess.get(access);
    if (!held) this.#byAccess.set(access, (held = new Map<string, Promise<Resource[]>>()));
    const key = `${type}?${new URLSearchParams(params as Array<[string, string]>).toString()}`;
    let found = held.get(key);
    if (!found) {
      const mine = load();
      found = mine;
      held.set(key, mine);
      mine.catch(() => {
        if (held.get(key) === mine) held.delete(key);
      });
    }
    return found;
  }

  /** Forgets every lookup (after a write that may have changed what they found). */
  forget(): void {
    this.#byAccess = new WeakMap();
  }
}
