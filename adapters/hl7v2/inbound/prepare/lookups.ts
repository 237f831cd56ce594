/**
 * What a message's bundle depends on, read in one transaction of GET entries (searches) through the same
 * SubmitTransaction, before the bundle is written. Each preparer names the searches it needs; the answers are
 * shared by URL.
 */
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { SubmitTransaction } from '../submit-transaction.js';

export type Found = ReadonlyMap<string, readonly Resource[]>;

export async function lookUp(urls: readonly string[], submit: SubmitTransaction): Promise<Found> {
  const unique = [...new Set(urls)];
  if (unique.length === 0) return new Map();
  const response = await submit({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: unique.map((url) => ({ request: { method: 'GET', url } })),
  });
  const found = new Map<string, Resource[]>();
  unique.forEach((url, i) => {
    const page = response.entry?.[i]?.resource as Bundle | undefined;
    found.set(
      url,
      (page?.entry ?? [])
        .filter((e) => (e.search?.mode ?? 'match') === 'match' && e.resource)
        .map((e) => e.resource as Resource),
    );
  });
  return found;
}

/** `W/"3"` for a stored resource: a write that depends on what was read carries it as ifMatch. */
export function versionTag(r: Resource): string {
  return `W/"${r.meta?.versionId ?? '1'}"`;
}

/** Every string equal to `from` inside a JSON value replaced by `to` (fullUrl references to a resolved one). */
export function replaceReference<T>(value: T, from: string, to: string): T {
  if (typeof value === 'string') return (value === from ? to : value) as T;
  if (Array.isArray(value)) return (value as unknown[]).map((v) => replaceReference(v, from, to)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = replaceReference(v, from, to);
    return out as T;
  }
  return value;
}

/** The entries with a given fullUrl replaced or removed, references to it pointed at `to` when given. */
export function withoutEntry(bundle: Bundle, fullUrl: string, pointTo?: string): Bundle {
  const entry = (bundle.entry ?? []).filter((e) => e.fullUrl !== fullUrl);
  const out: Bundle = { ...bundle, entry: entry };
  return pointTo ? replaceReference(out, fullUrl, pointTo) : out;
}
