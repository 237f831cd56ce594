/** Parameters of the subscription operations, from the query string and from a Parameters body (POST). */
import type { Parameters } from '@medplum/fhirtypes';
import type { FhirRequest } from '../fhir-request.js';

/** Values of a parameter from the query and from a Parameters body (POST). */
export function parameterValues(request: FhirRequest, name: string): string[] {
  const out = request.params.filter(([k]) => k === name).flatMap(([, v]) => v.split(','));
  const body = request.body as Parameters | undefined;
  if (body?.resourceType === 'Parameters')
    for (const p of body.parameter ?? [])
      if (p.name === name) {
        const v = p.valueId ?? p.valueCode ?? p.valueString ?? p.valueUri;
        if (v !== undefined) out.push(String(v));
      }
  return out.map((v) => v.trim()).filter((v) => v !== '');
}
