import type { Projection } from '../outbox/projection.js';
import { stableUuid, type RowWrite } from '../outbox/rows.js';
import { mapLab } from './lab-mapping.js';

const TYPES = new Set([
  'ServiceRequest',
  'Specimen',
  'Observation',
  'DiagnosticReport',
  'ObservationDefinition',
  'ActivityDefinition',
]);

export const labProjection: Projection = {
  name: 'lab',
  accepts: (t) => TYPES.has(t),
  map: mapLab,
  mapDelete(resourceType, id, version): RowWrite[] {
    switch (resourceType) {
      case 'ServiceRequest':
        return [{ op: 'delete', table: 'lab_orders', fhirId: id, version, soft: true }];
      case 'ObservationDefinition':
      case 'ActivityDefinition':
        return [{ op: 'delete', table: 'lab_tests_catalog', fhirId: id, version, soft: true }];
      case 'Observation':
        return [{ op: 'delete', table: 'lab_results', fhirId: id, version, soft: false }];
      case 'Specimen':
        // lab_specimens has no deleted_at: results keep their row and lose the specimen link.
        return [
          {
            op: 'update',
            table: 'lab_results',
            where: { specimen_id: stableUuid(`Specimen/${id}`) },
            values: { specimen_id: null },
          },
          { op: 'delete', table: 'lab_specimens', fhirId: id, version, soft: false },
        ];
      default:
        return [];
    }
  },
  rebuildClears: [
    { table: 'lab_results', where: 'fhir_id IS NOT NULL' },
    { table: 'lab_specimens', where: 'fhir_id IS NOT NULL' },
    { table: 'lab_orders', where: "fhir_id IS NOT NULL OR order_number LIKE 'OBS-%'" },
    { table: 'lab_tests_catalog', where: "fhir_id IS NOT NULL OR specimen_type = 'unspecified'" },
  ],
};
