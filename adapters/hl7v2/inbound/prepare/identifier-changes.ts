/**
 * A patient entry found by an identifier its own resource no longer carries is an identifier change (A46/A47/A49:
 * the patient found by MRG-1, the incorrect identifier, takes PID-3). What is stored decides how it is written:
 * - only the old identifier is known: that patient is updated (its identifier list replaced);
 * - only the new one is known (the change was already applied, or the old one never reached us): the patient with
 *   the new identifier is updated, never a second patient made with it;
 * - both name two different patients: refused (AE 205) — joining two patients is a merge (A40), not a renaming.
 */
import type { Bundle, BundleEntry, Identifier } from '@medplum/fhirtypes';
import { MappingError } from '../../mapping/mapping-error.js';
import { identifierQuery } from '../../mapping/identity.js';
import type { Preparer } from './prepare-bundle.js';

interface Change {
  readonly entry: BundleEntry;
  readonly oldUrl: string;
  readonly newUrl: string;
}

function changes(bundle: Bundle): Change[] {
  const out: Change[] = [];
  for (const e of bundle.entry ?? []) {
    const url = e.request?.url ?? '';
    if (e.resource?.resourceType !== 'Patient' || e.request?.method !== 'PUT' || !url.startsWith('Patient?identifier='))
      continue;
    const ids = (e.resource.identifier ?? []).filter((i): i is Identifier => !!i.value);
    const queries = ids.map((i) => `Patient?identifier=${identifierQuery(i)}`);
    if (ids.length === 0 || queries.includes(url)) continue;
    out.push({ entry: e, oldUrl: url, newUrl: queries[0]! });
  }
  return out;
}

export const identifierChanges: Preparer = {
  needs: (bundle) => changes(bundle).flatMap((c) => [c.oldUrl, c.newUrl]),
  apply(bundle, found, ctx) {
    let out = bundle;
    for (const c of changes(bundle)) {
      const before = found.get(c.oldUrl) ?? [];
      const after = found.get(c.newUrl) ?? [];
      if (before[0] && after[0] && before[0].id !== after[0].id)
        throw new MappingError(
          `the incorrect identifier (MRG-1) is Patient/${before[0].id} and the correct one (PID-3) is already Patient/${after[0].id}: two patients are joined by a merge (A40), not by an identifier change`,
          '205',
          { segment: 'MRG', sequence: ctx.msg.first('MRG')?.index ?? 1, field: 1 },
        );
      if (!before[0] && after[0])
        out = {
          ...out,
          entry: (out.entry ?? []).map((x) =>
            x.fullUrl === c.entry.fullUrl ? { ...x, request: { method: 'PUT', url: c.newUrl } } : x,
          ),
        };
    }
    return { bundle: out, warnings: [] };
  },
};
