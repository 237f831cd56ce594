import type { Projection } from '../outbox/projection.js';
import { mapMedicationDelete, mapMedicationResource } from './medication-mapping.js';

const TYPES = new Set(['Medication', 'MedicationRequest', 'MedicationAdministration']);

export const medicationProjection: Projection = {
  name: 'medication',
  accepts: (t) => TYPES.has(t),
  map: mapMedicationResource,
  mapDelete: (resourceType, id, version) => mapMedicationDelete(resourceType, id, version),
  rebuildClears: [
    { table: 'medication_audit_log', where: "action LIKE 'fhir\\_%'" },
    { table: 'mar_entries', where: 'fhir_id IS NOT NULL' },
    { table: 'prescriptions', where: 'fhir_id IS NOT NULL' },
    { table: 'high_alert_medications', where: "warning_message LIKE 'High-alert medication (%'" },
    { table: 'medications', where: 'fhir_id IS NOT NULL OR is_formulary = FALSE' },
  ],
};
