import type { Projection } from '../outbox/projection.js';
import { mapDeviceDelete, mapDeviceResource } from './device-mapping.js';

const TYPES = new Set(['Device', 'Observation', 'DetectedIssue', 'Flag', 'Patient']);

export const deviceProjection: Projection = {
  name: 'device',
  accepts: (t) => TYPES.has(t),
  map: mapDeviceResource,
  // An Observation whose time, codes or device changed leaves readings under its old keys: removed with the previous
  // version.
  readsPrevious: true,
  mapDelete: mapDeviceDelete,
  // Calibration logs and readings the gateway ingested (source NULL) are the device service's: never touched.
  rebuild: {
    versioned: [
      { table: 'device_alerts', soft: false },
      { table: 'devices', soft: true },
    ],
    children: [],
    leaves: ['device_readings'],
  },
};
