/**
 * A merge (A40) patches the prior patient. When that patient is not known here there is nothing to retire: the
 * PATCH is dropped and the survivor's `replaces` link keeps the prior identifier as a logical reference.
 * The look-up is a transaction of GET entries through the same SubmitTransaction.
 */
import type { Bundle, BundleEntry, Identifier } from '@medplum/fhirtypes';
import type { SubmitTransaction } from './submit-transaction.js';

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

export async function resolveMergeTargets(
  bundle: Bundle,
  submit: SubmitTransaction,
): Promise<{ bundle: Bundle; unknown: string[] }> {
  const patches = (bundle.entry ?? []).filter(isMergePatch);
  if (patches.length === 0) return { bundle, unknown: [] };
  const lookup: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: patches.map((p) => ({ request: { method: 'GET', url: `${p.request!.url}&_summary=count` } })),
  };
  const response = await submit(lookup);
  const unknown = patches.filter((_, i) => {
    const found = response.entry?.[i]?.resource as Bundle | undefined;
    return (found?.total ?? found?.entry?.length ?? 0) === 0;
  });
  if (unknown.length === 0) return { bundle, unknown: [] };
  const urls = new Set(unknown.map((p) => p.request!.url!));
  const entry = (bundle.entry ?? [])
    .filter((e) => !(isMergePatch(e) && urls.has(e.request!.url!)))
    .map((e) => {
      const r = e.resource as
        | { resourceType?: string; link?: { other: { reference?: string; identifier?: Identifier }; type: string }[] }
        | undefined;
      if (r?.resourceType !== 'Patient' || !r.link) return e;
      const link = r.link.map((l) =>
        l.other.reference && urls.has(l.other.reference)
          ? { ...l, other: { identifier: identifierOf(l.other.reference) } }
          : l,
      );
      return { ...e, resource: { ...r, link } } as BundleEntry;
    });
  return { bundle: { ...bundle, entry }, unknown: [...urls] };
}
