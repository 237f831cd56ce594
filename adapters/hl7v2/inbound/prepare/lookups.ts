/**
 * What a message's bundle depends on, read before the bundle is written: with a StoreSearch (the server's
 * store-level search, the one internal callers use) each search runs as it is, all at once, with no Bundle built or
 * routed; without one (tools, a remote FHIR server) as one transaction of GET entries through the SubmitTransaction.
 * Each preparer names the searches it needs; the answers are shared by URL. Reads by id (`Type?_id=x`) are asked
 * together: when the StoreSearch can read by id (`readMany`: the store's one prepared read of current versions), the
 * reads of every type in one call beside the searches — an ORU's orders and reports cost one statement, not one
 * planned search per type; else as one `_id` search per type. Either way answered per URL.
 */
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { SubmitTransaction } from '../submit-transaction.js';

export type Found = ReadonlyMap<string, readonly Resource[]>;

/** The store-level search: the current resources matching `params` (page size `count`, else the default). */
export type StoreSearch = ((
  resourceType: string,
  params: Array<[string, string]>,
  count?: number,
) => Promise<readonly Resource[]>) & {
  /** The current (not deleted) resources of these ids, any types, in one store read (else `_id` searches). */
  readonly readMany?: StoreRead;
};

export type StoreRead = (keys: ReadonlyArray<{ resourceType: string; id: string }>) => Promise<readonly Resource[]>;

/** The matches of each search URL (`Type?query`), by the store search or by one transaction of GETs. */
async function runSearches(
  requests: readonly string[],
  submit: SubmitTransaction,
  search?: StoreSearch,
): Promise<Resource[][]> {
  if (search)
    return Promise.all(
      requests.map(async (url) => {
        const at = url.indexOf('?');
        const params = [...new URLSearchParams(at < 0 ? '' : url.slice(at + 1)).entries()];
        const count = Number(params.find(([k]) => k === '_count')?.[1]) || undefined;
        return [
          ...(await search(
            at < 0 ? url : url.slice(0, at),
            params.filter(([k]) => k !== '_count'),
            count,
          )),
        ];
      }),
    );
  const response = await submit({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: requests.map((url) => ({ request: { method: 'GET', url } })),
  });
  return requests.map((_, i) => {
    const page = response.entry?.[i]?.resource as Bundle | undefined;
    return (page?.entry ?? [])
      .filter((e) => (e.search?.mode ?? 'match') === 'match' && e.resource)
      .map((e) => e.resource as Resource);
  });
}

export async function lookUp(urls: readonly string[], submit: SubmitTransaction, search?: StoreSearch): Promise<Found> {
  const unique = [...new Set(urls)];
  if (unique.length === 0) return new Map();
  // Reads by id go as one read (readMany), else one search per type (`Type?_id=a,b,c`): never one per resource.
  const byId = new Map<string, string[]>();
  const searches: string[] = [];
  for (const url of unique) {
    const m = ID_READ.exec(url);
    if (m) byId.set(m[1]!, [...(byId.get(m[1]!) ?? []), m[2]!]);
    else searches.push(url);
  }
  if (search?.readMany) return searchesAndReads(searches, byId, submit, search, search.readMany);
  const batched = [...byId].flatMap(([type, all]) =>
    Array.from({ length: Math.ceil(all.length / ID_BATCH) }, (_, k) => {
      const ids = all.slice(k * ID_BATCH, (k + 1) * ID_BATCH);
      return { type, ids, url: `${type}?_id=${ids.join(',')}&_count=${ids.length}` };
    }),
  );
  const answers = await runSearches([...searches, ...batched.map((b) => b.url)], submit, search);
  const matches = (i: number): Resource[] => answers[i] ?? [];
  const found = new Map<string, Resource[]>();
  searches.forEach((url, i) => found.set(url, matches(i)));
  batched.forEach((b, j) => {
    const hits = matches(searches.length + j);
    for (const id of b.ids)
      found.set(
        `${b.type}?_id=${id}`,
        hits.filter((r) => r.id === id),
      );
  });
  return found;
}

/** The searches and, beside them, every read by id (all types) in one `readMany`: answered per URL. */
async function searchesAndReads(
  searches: string[],
  byId: Map<string, string[]>,
  submit: SubmitTransaction,
  search: StoreSearch,
  readMany: StoreRead,
): Promise<Found> {
  const keys = [...byId].flatMap(([resourceType, ids]) => ids.map((id) => ({ resourceType, id })));
  const [answers, read] = await Promise.all([
    searches.length > 0 ? runSearches(searches, submit, search) : Promise.resolve([]),
    keys.length > 0 ? readMany(keys) : Promise.resolve([]),
  ]);
  const found = new Map<string, Resource[]>(searches.map((url, i) => [url, answers[i] ?? []]));
  const byKey = new Map(read.map((r) => [`${r.resourceType}/${r.id}`, r]));
  for (const { resourceType, id } of keys) {
    const hit = byKey.get(`${resourceType}/${id}`);
    found.set(`${resourceType}?_id=${id}`, hit ? [hit] : []);
  }
  return found;
}

/** Ids per search (well under any page size limit). */
const ID_BATCH = 100;

/** `Type?_id=<one id>` and nothing else: a read by id that can join others of its type. */
const ID_READ = /^([A-Z][A-Za-z]+)\?_id=([A-Za-z0-9\-.]{1,64})$/;

/** `W/"3"` for a stored resource: a write that depends on what was read carries it as ifMatch. */
export function versionTag(r: Resource): string {
  return `W/"${r.meta?.versionId ?? '1'}"`;
}

/** Every string equal to `from` inside a JSON value replaced by `to` (fullUrl references to a resolved one). */
export function replaceReference<T>(value: T, from: string, to: string): T {
  return replaceReferences(value, new Map([[from, to]]));
}

/**
 * Every string of `value` that is a key of `map` replaced by its value, in one pass. What holds no such string is
 * shared, not copied (a copy is made only along the path to a replaced string; spread copies keep number texts).
 */
export function replaceReferences<T>(value: T, map: ReadonlyMap<string, string>): T {
  if (typeof value === 'string') return (map.get(value) ?? value) as T;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const replaced = replaceReferences(item, map);
      if (replaced !== item) (out ??= [...(value as unknown[])])[i] = replaced;
    }
    return (out ?? value) as T;
  }
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    for (const key of Object.keys(record)) {
      const replaced = replaceReferences(record[key], map);
      if (replaced !== record[key]) (out ??= { ...record })[key] = replaced;
    }
    return (out ?? value) as T;
  }
  return value;
}

/** The entries with a given fullUrl replaced or removed, references to it pointed at `to` when given. */
export function withoutEntry(bundle: Bundle, fullUrl: string, pointTo?: string): Bundle {
  const entry = (bundle.entry ?? []).filter((e) => e.fullUrl !== fullUrl);
  const out: Bundle = { ...bundle, entry: entry };
  return pointTo ? replaceReference(out, fullUrl, pointTo) : out;
}
