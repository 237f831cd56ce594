/**
 * The literal references (`Practitioner/123`) a set of resources makes, outside contained resources, as
 * distinct resource keys — what $everything adds as include entries. An Attachment's `url` naming a Binary of this
 * server (`Binary/123`, as the server writes it for a DocumentReference's content) counts too: the document's Binary
 * comes with it (without its bytes, which stay at the Binary's URL).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { ResourceKey } from '../../store/resource-store.js';

const LITERAL = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

export function referencedKeys(resources: Resource[], wantedType: (type: string) => boolean): ResourceKey[] {
  const wanted = new Map<string, ResourceKey>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string') {
        const m = LITERAL.exec(v);
        if (m?.[1] && m[2] && wantedType(m[1])) wanted.set(v, { resourceType: m[1], id: m[2] });
      } else if (k === 'url' && typeof v === 'string' && v.startsWith('Binary/')) {
        const m = LITERAL.exec(v);
        if (m?.[2] && wantedType('Binary')) wanted.set(v, { resourceType: 'Binary', id: m[2] });
      } else if (k !== 'contained') {
        visit(v);
      }
    }
  };
  resources.forEach(visit);
  return [...wanted.values()];
}
