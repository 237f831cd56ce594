/**
 * The handful of Synthea bundles the projection tests load, and what they should produce, counted from the
 * bundles themselves: fhir-data-pipes Elisa944 and Joni720 (a Device and MedicationRequests each), plus the
 * three smallest smart-r4-2019 patients (laboratory Observations, Claims, MedicationRequests).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SYNTHEA_DIR } from '../../../server/fhir/search/testing/synthea-loader.js';

export const PIPES_DIR = join(SYNTHEA_DIR, 'fhir-data-pipes-2021');
export const SMART_DIR = join(SYNTHEA_DIR, 'smart-r4-2019');

export function projectionBundles(smartCount = 3): string[] {
  const support = readdirSync(PIPES_DIR)
    .filter((f) => /^(hospital|practitioner)Information.*\.json$/.test(f))
    .sort()
    .map((f) => join(PIPES_DIR, f));
  const pipes = readdirSync(PIPES_DIR)
    .filter((f) => /^(Elisa944|Joni720)_.*\.json$/.test(f))
    .sort()
    .map((f) => join(PIPES_DIR, f));
  const smart = readdirSync(SMART_DIR)
    .filter((f) => f.endsWith('.json') && !/Information/.test(f))
    .map((f) => join(SMART_DIR, f))
    .sort((a, b) => statSync(a).size - statSync(b).size || a.localeCompare(b))
    .slice(0, smartCount);
  return [...support, ...pipes, ...smart];
}

export type Expected = {
  claims: number;
  claimLines: number;
  labObservations: number;
  medicationRequests: number;
  devices: number;
};

export function expectedFromBundles(files: string[]): Expected {
  const seen = new Set<string>();
  const e: Expected = { claims: 0, claimLines: 0, labObservations: 0, medicationRequests: 0, devices: 0 };
  for (const f of files) {
    for (const entry of JSON.parse(readFileSync(f, 'utf8')).entry ?? []) {
      const r = entry.resource;
      const key = `${r.resourceType}/${r.id ?? entry.fullUrl}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (r.resourceType === 'Claim') {
        e.claims++;
        e.claimLines += r.item?.length ?? 0;
      }
      if (r.resourceType === 'Observation' && JSON.stringify(r.category ?? []).includes('"laboratory"'))
        e.labObservations++;
      if (r.resourceType === 'MedicationRequest') e.medicationRequests++;
      if (r.resourceType === 'Device') e.devices++;
    }
  }
  return e;
}
