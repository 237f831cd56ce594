/**
 * Bundle rules beyond the StructureDefinition: fullUrl is an absolute URL, unique unless versions differ
 * (bdl-7), search results carry ids, search-mode "outcome" entries are OperationOutcomes, paging links
 * (self, first, previous, next, last) occur at most once, and a document's section entries resolve in the bundle.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

const SINGLE_LINKS = new Set(['self', 'first', 'previous', 'prev', 'next', 'last']);
const ABSOLUTE_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

export function checkBundle(bundle: Record<string, unknown>, path = 'Bundle'): OperationOutcomeIssue[] {
  if (bundle.resourceType !== 'Bundle') return [];
  const issues: OperationOutcomeIssue[] = [];
  const links = Array.isArray(bundle.link) ? (bundle.link as { relation?: unknown }[]) : [];
  const seenRelations = new Set<string>();
  links.forEach((link, i) => {
    const relation = typeof link?.relation === 'string' ? link.relation : undefined;
    if (!relation || !SINGLE_LINKS.has(relation)) return;
    if (seenRelations.has(relation))
      issues.push(error(`The link relation "${relation}" can only occur once`, `${path}.link[${i}]`));
    seenRelations.add(relation);
  });

  const entries = Array.isArray(bundle.entry) ? (bundle.entry as Record<string, unknown>[]) : [];
  const fullUrls = new Map<string, Set<string>>();
  entries.forEach((entry, i) => {
    if (typeof entry !== 'object' || entry === null) return;
    const at = `${path}.entry[${i}]`;
    const resource = entry.resource as
      { resourceType?: string; id?: string; meta?: { versionId?: string } } | undefined;
    const fullUrl = entry.fullUrl;
    if (typeof fullUrl === 'string') {
      if (!ABSOLUTE_URL.test(fullUrl))
        issues.push(error(`The fullUrl must be an absolute URL (not '${fullUrl}')`, `${at}.fullUrl`));
      const version = resource?.meta?.versionId ?? '';
      const versions = fullUrls.get(fullUrl) ?? new Set<string>();
      if (versions.has(version)) {
        issues.push(
          error(
            `Constraint bdl-7 not met: duplicate fullUrl '${fullUrl}' (entries with the same fullUrl need different meta.versionId)`,
            `${at}.fullUrl`,
          ),
        );
      }
      versions.add(version);
      fullUrls.set(fullUrl, versions);
    }
    if (bundle.type === 'searchset' && resource) {
      const mode = (entry.search as { mode?: string } | undefined)?.mode;
      if (mode === 'match' && !resource.id) issues.push(error('Search results must have ids', `${at}.resource`));
      if (mode === 'outcome' && resource.resourceType !== 'OperationOutcome') {
        issues.push(
          error(
            `An entry with search mode "outcome" must be an OperationOutcome, not ${resource.resourceType}`,
            `${at}.resource`,
          ),
        );
      }
    }
  });
  if (bundle.type === 'document') issues.push(...checkSectionEntries(entries, path));
  return issues;
}

/** In a document, each Composition.section.entry resolves to exactly one entry of the bundle (versions respected). */
function checkSectionEntries(entries: Record<string, unknown>[], path: string): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const composition = entries[0]?.resource as { resourceType?: string; section?: unknown } | undefined;
  if (composition?.resourceType !== 'Composition') return issues;
  const targets = entries.map((e) => ({
    fullUrl: typeof e?.fullUrl === 'string' ? e.fullUrl : '',
    version: (e?.resource as { meta?: { versionId?: string } } | undefined)?.meta?.versionId,
  }));
  const visit = (sections: unknown, at: string) => {
    if (!Array.isArray(sections)) return;
    sections.forEach((section: { entry?: { reference?: unknown }[]; section?: unknown }, i) => {
      (Array.isArray(section?.entry) ? section.entry : []).forEach((ref, j) => {
        if (typeof ref?.reference !== 'string' || ref.reference.startsWith('#')) return;
        // split always yields at least one part
        const [target = '', version] = ref.reference.split('/_history/');
        const matches = targets.filter(
          (t) =>
            (t.fullUrl === target || (!/^[a-z]+:/i.test(target) && t.fullUrl.endsWith(`/${target}`))) &&
            (version === undefined || t.version === version),
        );
        const where = `${path}.entry[0].resource.section[${i}].entry[${j}]`;
        if (matches.length === 0)
          issues.push(error(`Can't find '${ref.reference}' in the bundle (section entry)`, where));
        if (matches.length > 1)
          issues.push(
            error(`Found ${matches.length} matches for '${ref.reference}' in the bundle (section entry)`, where),
          );
      });
      visit(section?.section, `${at}[${i}].section`);
    });
  };
  visit(composition.section, `${path}.entry[0].resource.section`);
  return issues;
}

function error(text: string, expression: string): OperationOutcomeIssue {
  return { severity: 'error', code: 'invalid', details: { text }, expression: [expression] };
}
