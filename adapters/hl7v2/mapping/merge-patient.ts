/**
 * ADT^A40 merge: the surviving patient (PID) gets `link: replaces → prior patient`; the prior patient (MRG-1)
 * is patched (FHIRPath Patch) to `active = false` with `link: replaced-by → surviving patient`. The prior patient
 * is addressed by a conditional reference, the survivor by its entry's fullUrl, so the server resolves both.
 */
import type { BundleEntry, Parameters } from '@medplum/fhirtypes';
import type { Identity } from './identity.js';

export function mergePatientEntry(
  prior: Extract<Identity, { kind: 'conditional' }>,
  survivor: Record<string, unknown>,
  survivorFullUrl: string,
  fullUrl: string,
): BundleEntry[] {
  const priorRef = `Patient?${prior.query}`;
  const links = (survivor['link'] as unknown[] | undefined) ?? [];
  survivor['link'] = [...links, { other: { reference: priorRef }, type: 'replaces' }];
  const patch: Parameters = {
    resourceType: 'Parameters',
    parameter: [
      {
        name: 'operation',
        part: [
          { name: 'type', valueCode: 'delete' },
          { name: 'path', valueString: 'Patient.active' },
        ],
      },
      {
        name: 'operation',
        part: [
          { name: 'type', valueCode: 'add' },
          { name: 'path', valueString: 'Patient' },
          { name: 'name', valueString: 'active' },
          { name: 'value', valueBoolean: false },
        ],
      },
      {
        name: 'operation',
        part: [
          { name: 'type', valueCode: 'add' },
          { name: 'path', valueString: 'Patient' },
          { name: 'name', valueString: 'link' },
          {
            name: 'value',
            part: [
              { name: 'other', valueReference: { reference: survivorFullUrl } },
              { name: 'type', valueCode: 'replaced-by' },
            ],
          },
        ],
      },
    ],
  };
  return [{ fullUrl, resource: patch, request: { method: 'PATCH', url: priorRef } }];
}
