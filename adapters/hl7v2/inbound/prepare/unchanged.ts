/**
 * A message that repeats what is stored writes nothing for it: the entries of a bundle whose resource, once its
 * references to other entries are resolved, equals the stored one (the version the other steps read: the patient of
 * PID-3, the encounter of the visit number, an order or report by id) are left out, and the other entries point at
 * the stored resource instead. An ORU for a known patient with the same demographics does not make a new Patient
 * version; a changed field does (the entry stays, as the mapping made it). Runs last, on what the other steps left.
 * Everything but `id` and `meta.versionId`/`lastUpdated`/`source` is compared, keys in any order: whatever the server
 * adds to a stored resource makes it differ, so the entry is written as before (never a lost change).
 */
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type { Found } from './lookups.js';
import type { Preparer } from './prepare-bundle.js';
import { replaceReferences, withoutEntry } from './lookups.js';
import { sameStoredContent } from '../../../../server/fhir/bundle/unchanged-update.js';

/** `Type/id` of a PUT to an id. */
const BY_ID = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

/** Every resource the other steps read, by `Type/id`. */
function readById(found: Found): Map<string, Resource> {
  const out = new Map<string, Resource>();
  for (const hits of found.values()) for (const r of hits) if (r.id) out.set(`${r.resourceType}/${r.id}`, r);
  return out;
}

/** The stored resource an entry would overwrite, when the other steps read it: one match, not merged away. */
function storedOf(e: BundleEntry, found: Found, byId: Map<string, Resource>): Resource | undefined {
  if (e.request?.method !== 'PUT' || !e.resource || !e.fullUrl) return undefined;
  const url = e.request.url ?? '';
  let stored: Resource | undefined;
  if (BY_ID.test(url)) stored = byId.get(url);
  else {
    const hits = found.get(url);
    if (hits?.length === 1) stored = hits[0];
  }
  if (!stored || stored.resourceType !== e.resource.resourceType) return undefined;
  if ((stored as { active?: boolean }).active === false) return undefined;
  return stored;
}

/** What each entry's fullUrl will be once written, where that is known now (`Type/id`). */
function resolvedUrls(bundle: Bundle, found: Found, byId: Map<string, Resource>): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of bundle.entry ?? []) {
    if (!e.fullUrl || e.request?.method !== 'PUT') continue;
    const url = e.request.url ?? '';
    if (BY_ID.test(url)) out.set(e.fullUrl, url);
    else {
      const stored = storedOf(e, found, byId);
      if (stored?.id) out.set(e.fullUrl, `${stored.resourceType}/${stored.id}`);
    }
  }
  return out;
}

export const unchanged: Preparer = {
  needs: () => [],
  apply(bundle, found) {
    const byId = readById(found);
    const resolved = resolvedUrls(bundle, found, byId);
    let out = bundle;
    for (const e of bundle.entry ?? []) {
      const stored = storedOf(e, found, byId);
      if (!stored) continue;
      const others = new Map([...resolved].filter(([from]) => from !== e.fullUrl));
      const incoming: Resource = replaceReferences(e.resource!, others);
      if (!sameStoredContent(incoming, stored)) continue;
      out = withoutEntry(out, e.fullUrl!, `${stored.resourceType}/${stored.id}`);
    }
    return { bundle: out, warnings: [] };
  },
};
