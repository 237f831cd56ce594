import type { Projection } from '../outbox/projection.js';
import { mapMedicationDelete, mapMedicationResource } from './medication-mapping.js';

const TYPES = new Set(['Medication', 'MedicationRequest', 'MedicationAdministration', 'Patient']);

export const medicationProjection: Projection = {
  name: 'medication',
  accepts: (t) => TYPES.has(t),
  map: mapMedicationResource,
  mapDelete: (resourceType, id, version) => mapMedicationDelete(resourceType, id, version),
  // Medications added by code and the high-alert list are kept (prescriptions the service enters point at them);
  // the audit log is history, never rewritten (one row per version, stable ids).
  rebuild: {
    versioned: [
      { table: 'mar_entries', soft: false },
      { table: 'prescriptions', soft: true },
      { table: 'medications', soft: true },
    ],
    children: [],
    leaves: [],
  },
};
