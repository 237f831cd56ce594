import type { Projection } from '../outbox/projection.js';
import { mapMedicationDelete, mapMedicationResource } from './medication-mapping.js';

const TYPES = new Set(['Medication', 'MedicationRequest', 'MedicationAdministration']);

export const medicationProjection: Projection = {
  name: 'medication',
  accepts: (t) => TYPES.has(t),
  map: mapMedicationResource,
  mapDelete: (resourceType, id, version) => mapMedicationDelete(resourceType, id, version),
  // The audit log is history: kept (a rebuild re-appends nothing: one row per version, stable ids).
  rebuildClears: [
    { table: 'mar_entries', where: 'fhir_id IS NOT NULL' },
    { table: 'prescriptions', where: 'fhir_id IS NOT NULL' },
    { table: 'high_alert_medications', where: "warning_message LIKE 'High-alert medication (%'" },
    { table: 'medications', where: 'fhir_id IS NOT NULL OR is_formulary = FALSE' },
  ],
};
