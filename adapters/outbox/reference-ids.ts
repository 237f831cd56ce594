/**
 * A readable map for derived ids: a FHIR id that is not a UUID is stored in CHAR(36)/UUID columns (patient_id,
 * encounter_id, prescriber_id …) as the stable UUID of `Type/id`; each such UUID gets a row in
 * `fhir_reference_ids` (id → resource type, FHIR id), so `SELECT fhir_id FROM fhir_reference_ids WHERE id = ?`
 * names the resource behind any of them. Written in batches with the rest of a delivery.
 */
import type { Resource } from '@medplum/fhirtypes';
import { idColumn, parseReference, type RowWrite } from './rows.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One fhir_reference_ids row per non-UUID id the resource refers to (its own id included). */
export function referenceIdRows(resource: Resource, extraIds: Array<{ type: string; id: string }> = []): RowWrite[] {
  const found = new Map<string, { type: string; id: string }>();
  const add = (type: string, id: string) => {
    if (!UUID.test(id)) found.set(`${type}/${id}`, { type, id });
  };
  if (resource.id) add(resource.resourceType, resource.id);
  for (const x of extraIds) add(x.type, x.id);
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (k === 'reference' && typeof x === 'string') {
          const ref = parseReference(x);
          if (ref) add(ref.type, ref.id);
        } else if (typeof x === 'object') walk(x);
      }
  };
  walk(resource);
  return [...found.values()].map(({ type, id }) => ({
    op: 'bulkUpsert',
    table: 'fhir_reference_ids',
    conflict: ['id'],
    values: { id: idColumn(type, id), resource_type: type, fhir_id: id },
  }));
}
