import type { Projection } from '../outbox/projection.js';
import { mapDeviceDelete, mapDeviceResource } from './device-mapping.js';

const TYPES = new Set(['Device', 'Observation', 'DetectedIssue', 'Flag']);

export const deviceProjection: Projection = {
  name: 'device',
  accepts: (t) => TYPES.has(t),
  map: mapDeviceResource,
  // An Observation whose time, codes or device changed leaves readings under its old keys: removed with the previous version.
  readsPrevious: true,
  mapDelete: mapDeviceDelete,
  rebuildClears: [
    { table: 'device_readings', where: 'device_id IN (SELECT id FROM devices WHERE fhir_id IS NOT NULL)' },
    { table: 'device_alerts', where: 'fhir_id IS NOT NULL' },
    { table: 'device_calibration_logs', where: 'device_id IN (SELECT id FROM devices WHERE fhir_id IS NOT NULL)' },
    { table: 'devices', where: 'fhir_id IS NOT NULL' },
  ],
};
