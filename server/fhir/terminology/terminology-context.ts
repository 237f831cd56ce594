/**
 * The Terminology of one request: client-made CodeSystems, ValueSets and ConceptMaps found through the store-level
 * search with the caller's access (what the caller may not read does not exist for it), the concept table of the
 * store for uploaded large code systems, and the specification's. Terminology errors become OperationOutcomes.
 * Each lookup reads the current keys only (searchKeys) and takes the bodies of versions it already holds from
 * memory (version-cache.ts): a `:below` search no longer reads and parses the whole CodeSystem every request. A
 * Bundle keeps its lookups for its own entries (request-lookups.ts).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';
import { fhirError, type FhirError } from '../errors.js';
import { Terminology, type StoredTerminology } from './terminology.js';
import { TerminologyError } from './terminology-error.js';
import { conceptTableOf } from './concept-table.js';
import type { TerminologyResource } from './spec-terminology.js';
import { searchKeys } from '../search/search-keys.js';
import { currentBodies } from './version-cache.js';

/** How many client resources share one canonical URL before the rest are not looked at. */
const MAX_VERSIONS = 50;

export function terminologyFor(ctx: FhirContext): Terminology {
  const stored: StoredTerminology = async (kind, params) =>
    (await storedResources(ctx, kind, params)) as TerminologyResource[];
  const table = conceptTableOf(ctx.store);
  return new Terminology(stored, table ? (cs) => table.sourceOf(cs) : undefined);
}

/**
 * Current client-made resources of a type matching search parameters (e.g. `url`), read with the caller's access:
 * the keys from the store, the bodies from the version cache when held.
 */
export async function storedResources(
  ctx: Pick<FhirContext, 'store' | 'baseUrl' | 'access' | 'lookups'>,
  type: string,
  params: Array<[string, string]>,
): Promise<Resource[]> {
  const load = async () => {
    const keys = await searchKeys(
      {
        store: ctx.store,
        resourceTypes: [type],
        params,
        baseUrl: ctx.baseUrl,
        access: ctx.access,
        handling: 'lenient',
      },
      MAX_VERSIONS,
    );
    return currentBodies(ctx.store, keys);
  };
  // once per request where the request keeps its lookups (request-lookups.ts: Bundles)
  return ctx.lookups ? ctx.lookups.find(ctx.access, type, params, load) : load();
}

/** Runs a terminology computation, turning a TerminologyError into the FHIR error of its kind. */
export async function answering<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof TerminologyError) throw asFhirError(err);
    throw err;
  }
}

export function asFhirError(err: TerminologyError): FhirError {
  switch (err.code) {
    case 'not-found':
      return fhirError(404, 'not-found', err.message);
    case 'not-supported':
      return fhirError(422, 'not-supported', err.message);
    case 'too-costly':
      return fhirError(422, 'too-costly', err.message);
    case 'invalid':
      return fhirError(400, 'invalid', err.message);
  }
}
