/**
 * A merge (A40: the MRG-1 patient is replaced by the PID patient). When the prior patient is not known here there
 * is nothing to retire: the PATCH is dropped and the survivor's `replaces` link keeps the prior identifier as a
 * logical reference. When it is known, its records are moved to the survivor in the same transaction (as FHIR's
 * Patient $merge does): every resource of the types below that references the prior patient is written again
 * referencing the survivor (ifMatch on the version read). The prior patient stays, inactive, `replaced-by`.
 */
import type { BundleEntry, Identifier, Resource } from '@medplum/fhirtypes';
import type { AckError } from '../../ack/ack-builder.js';
import { MappingError } from '../../mapping/mapping-error.js';
import type { Preparer } from './prepare-bundle.js';
import { replaceReference, versionTag } from './lookups.js';

/** Resource types whose reference to the patient is moved, with the search parameter that finds them. */
export const PATIENT_RECORDS: readonly [string, string][] = [
  ['Encounter', 'subject'],
  ['Observation', 'subject'],
  ['DiagnosticReport', 'subject'],
  ['ServiceRequest', 'subject'],
  ['Condition', 'subject'],
  ['AllergyIntolerance', 'patient'],
  ['Immunization', 'patient'],
  ['MedicationRequest', 'subject'],
  ['MedicationDispense', 'subject'],
  ['MedicationAdministration', 'subject'],
  ['Procedure', 'subject'],
  ['DocumentReference', 'subject'],
  ['Specimen', 'subject'],
  ['Coverage', 'beneficiary'],
  ['Appointment', 'patient'],
  ['ChargeItem', 'subject'],
  ['Account', 'subject'],
  ['RelatedPerson', 'patient'],
  ['EpisodeOfCare', 'patient'],
];

/** More records than this in one merge (or than a search page of one type): refused (AE), never moved in part. */
const MAX_MOVED = 2000;
const PAGE = 1000;

function isMergePatch(e: BundleEntry): boolean {
  return e.request?.method === 'PATCH' && /^Patient\?identifier=/.test(e.request.url ?? '');
}

function identifierOf(query: string): Identifier {
  const raw = query.replace(/^Patient\?identifier=/, '');
  const [a, b] = raw.split('|');
  return b === undefined
    ? { value: decodeURIComponent(a!) }
    : { system: decodeURIComponent(a!), value: decodeURIComponent(b) };
}

/** The survivor as the merge PATCH names it (the PID entry's fullUrl, or a survivor it was redirected to). */
function survivorOf(patch: BundleEntry): string | undefined {
  const ops = (
    patch.resource as {
      parameter?: { part?: { name: string; part?: { valueReference?: { reference?: string } }[] }[] }[];
    }
  ).parameter;
  for (const op of ops ?? [])
    for (const p of op.part ?? [])
      for (const q of p.part ?? []) if (q.valueReference?.reference) return q.valueReference.reference;
  return undefined;
}

export const mergeTargets: Preparer = {
  needs: (bundle) => (bundle.entry ?? []).filter(isMergePatch).map((e) => e.request!.url),
  async apply(bundle, found, ctx) {
    const patches = (bundle.entry ?? []).filter(isMergePatch);
    if (patches.length === 0) return { bundle, warnings: [] };
    const warnings: AckError[] = [];
    const unknown = new Set<string>();
    const moves: BundleEntry[] = [];
    for (const patch of patches) {
      const prior = found.get(patch.request!.url)?.[0];
      if (!prior) {
        unknown.add(patch.request!.url);
        warnings.push({
          code: '204',
          severity: 'W',
          segment: 'MRG',
          field: 1,
          text: `prior patient ${patch.request!.url.slice('Patient?identifier='.length)} is not known: linked by identifier, nothing to retire`,
        });
        continue;
      }
      const survivor = survivorOf(patch);
      if (!survivor) continue;
      const priorRef = `Patient/${prior.id}`;
      if (survivor === priorRef)
        throw new MappingError('merge: the prior and the surviving patient are the same patient', '205', {
          segment: 'MRG',
          field: 1,
        });
      const urls = PATIENT_RECORDS.map(([type, param]) => `${type}?${param}=${priorRef}&_count=${PAGE}`);
      const records = await ctx.lookUp(urls);
      const toMove: Resource[] = urls.flatMap((u) => [...(records.get(u) ?? [])]);
      if (toMove.length > MAX_MOVED || urls.some((u) => (records.get(u)?.length ?? 0) >= PAGE))
        throw new MappingError(
          `merge: the prior patient has more than ${MAX_MOVED} records to move; merge it in parts`,
          '207',
          { segment: 'MRG', field: 1 },
        );
      for (const r of toMove) {
        moves.push({
          resource: replaceReference(r, priorRef, survivor),
          request: { method: 'PUT', url: `${r.resourceType}/${r.id}`, ifMatch: versionTag(r) },
        });
      }
      if (toMove.length)
        warnings.push({
          code: '0',
          severity: 'I',
          segment: 'MRG',
          field: 1,
          text: `merge: ${toMove.length} records of ${priorRef} now reference the surviving patient`,
        });
    }
    const entry = (bundle.entry ?? [])
      .filter((e) => !(isMergePatch(e) && unknown.has(e.request!.url)))
      .map((e) => {
        const r = e.resource as
          | { resourceType?: string; link?: { other: { reference?: string; identifier?: Identifier }; type: string }[] }
          | undefined;
        if (r?.resourceType !== 'Patient' || !r.link) return e;
        const link = r.link.map((l) =>
          l.other.reference && unknown.has(l.other.reference)
            ? { ...l, other: { identifier: identifierOf(l.other.reference) } }
            : l,
        );
        return { ...e, resource: { ...r, link } } as BundleEntry;
      });
    return { bundle: { ...bundle, entry: [...entry, ...moves] }, warnings };
  },
};
