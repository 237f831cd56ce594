import type { Projection } from '../outbox/projection.js';
import { stableUuid, type RowWrite } from '../outbox/rows.js';
import { dropImplicitOrder, mapLab } from './lab-mapping.js';

const TYPES = new Set([
  'ServiceRequest',
  'Specimen',
  'Observation',
  'DiagnosticReport',
  'ObservationDefinition',
  'ActivityDefinition',
  'Patient',
]);

export const labProjection: Projection = {
  name: 'lab',
  accepts: (t) => TYPES.has(t),
  map: mapLab,
  // An order or result re-categorised away from laboratory is removed: its previous version tells that it was one.
  readsPrevious: true,
  mapDelete(resourceType, id, version, inputs): RowWrite[] {
    switch (resourceType) {
      case 'ServiceRequest':
        return [{ op: 'delete', table: 'lab_orders', fhirId: id, version, soft: true }];
      case 'ObservationDefinition':
      case 'ActivityDefinition':
        return [{ op: 'delete', table: 'lab_tests_catalog', fhirId: id, version, soft: true }];
      case 'Observation':
        return [
          { op: 'delete', table: 'lab_results', fhirId: id, version, soft: false },
          dropImplicitOrder(id, inputs.lastUpdated),
        ];
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
  rebuild: {
    versioned: [
      { table: 'lab_results', soft: false },
      { table: 'lab_specimens', soft: false },
      { table: 'lab_orders', soft: true },
      { table: 'lab_tests_catalog', soft: true },
    ],
    children: [],
    leaves: [],
  },
};
