import { withProjectionKeys, withProjectionOwnership, type DatabaseRef } from './schema-checks.js';

/** Transcribed from /work/shared/nilecare-database-schemas.md §PostgreSQL 1 (nilecare_devices). */
const nilecareDevicesReference: DatabaseRef = {
  engine: 'postgres',
  tables: {
    devices: {
      columns: {
        id: 'UUID',
        device_type: 'VARCHAR(50)',
        manufacturer: 'VARCHAR(255)',
        model: 'VARCHAR(255)',
        serial_number: 'VARCHAR(255)',
        location: 'VARCHAR(255)',
        status: 'VARCHAR(20)',
        last_communication: 'TIMESTAMP',
      },
      pk: ['id'],
      unique: [['serial_number']],
    },
    device_readings: {
      columns: {
        device_id: 'UUID',
        patient_id: 'UUID',
        reading_type: 'VARCHAR(50)',
        reading_value: 'DECIMAL(10,2)',
        reading_unit: 'VARCHAR(20)',
        timestamp: 'TIMESTAMPTZ',
        quality: 'VARCHAR(20)',
      },
      pk: ['device_id', 'reading_type', 'timestamp'],
      fks: { device_id: 'devices' },
      indexes: [['patient_id', 'timestamp']],
    },
    device_alerts: {
      columns: {
        id: 'UUID',
        device_id: 'UUID',
        patient_id: 'UUID',
        alert_type: 'VARCHAR(50)',
        severity: 'VARCHAR(20)',
        alert_message: 'TEXT',
        acknowledged: 'BOOLEAN',
        acknowledged_by: 'UUID',
        timestamp: 'TIMESTAMPTZ',
      },
      pk: ['id'],
      fks: { device_id: 'devices' },
    },
    device_calibration_logs: {
      columns: {
        id: 'UUID',
        device_id: 'UUID',
        calibrated_by: 'UUID',
        calibration_date: 'TIMESTAMP',
        next_calibration_due: 'DATE',
        calibration_notes: 'TEXT',
      },
      pk: ['id'],
      fks: { device_id: 'devices' },
    },
  },
  triggers: ['before update devices'],
};

/** nilecareDevices as migrated: the reference plus FHIR projection keys (V2) and projection ownership (V3). */
export const nilecareDevices = withProjectionOwnership(
  withProjectionKeys(nilecareDevicesReference, ['devices', 'device_alerts', 'device_calibration_logs']),
  ['devices', 'device_readings', 'device_alerts'],
);
