/**
 * A corrected or added result (ORU with OBX-11 C, or a later ORU that resends only the changed OBX) updates a
 * report that already has results: the stored report's other results stay (the result list is the union, the
 * message's results first), so the correction does not drop them. The update carries ifMatch on the version read.
 */
import type { Bundle, BundleEntry, DiagnosticReport, Reference } from '@medplum/fhirtypes';
import type { Preparer } from './prepare-bundle.js';
import { versionTag } from './lookups.js';

const reportEntries = (bundle: Bundle) =>
  (bundle.entry ?? []).filter(
    (e) =>
      e.resource?.resourceType === 'DiagnosticReport' &&
      e.request?.method === 'PUT' &&
      /^DiagnosticReport\/[A-Za-z0-9.-]+$/.test(e.request.url ?? ''),
  );

const searchOf = (e: BundleEntry) => `DiagnosticReport?_id=${e.request!.url.slice('DiagnosticReport/'.length)}`;

/** What a result reference of the message will be once written: `Observation/<id>` for a PUT to an id. */
function resolvedTarget(bundle: Bundle, ref: string): string {
  const target = (bundle.entry ?? []).find((x) => x.fullUrl === ref);
  const url = target?.request?.url ?? '';
  return target?.request?.method === 'PUT' && /^[A-Za-z]+\/[A-Za-z0-9.-]+$/.test(url) ? url : ref;
}

export const reports: Preparer = {
  needs: (bundle) => reportEntries(bundle).map(searchOf),
  apply(bundle, found) {
    const entry = (bundle.entry ?? []).map((e) => {
      if (!reportEntries({ resourceType: 'Bundle', type: 'transaction', entry: [e] }).length) return e;
      const stored = found.get(searchOf(e))?.[0] as DiagnosticReport | undefined;
      if (!stored) return e;
      const incoming = e.resource as DiagnosticReport;
      const seen = new Set((incoming.result ?? []).map((r) => resolvedTarget(bundle, r.reference ?? '')));
      const kept: Reference[] = (stored.result ?? []).filter((r) => r.reference && !seen.has(r.reference));
      const result = [...(incoming.result ?? []), ...kept];
      return {
        ...e,
        resource: { ...incoming, ...(result.length ? { result } : {}) },
        request: { ...e.request!, ifMatch: versionTag(stored) },
      } as BundleEntry;
    });
    return { bundle: { ...bundle, entry }, warnings: [] };
  },
};
