import { withProjectionKeys, withProjectionOwnership, type DatabaseRef } from './schema-checks.js';

/**
 * nilecare_lab (§MySQL 7) and nilecare_medication (§MySQL 8): the reference names the tables; the
 * columns, keys and ENUM values checked here are the choices recorded in migrations/README.md.
 */
const nilecareLabReference: DatabaseRef = {
  engine: 'mysql',
  tables: {
    lab_tests_catalog: {
      pk: ['id'],
      unique: [['test_code']],
      columns: {
        id: 'CHAR(36)',
        test_code: 'VARCHAR(50)',
        loinc_code: 'VARCHAR(20)',
        test_name: 'VARCHAR(255)',
        category: 'ENUM',
        price: 'DECIMAL(10,2)',
        is_active: 'BOOLEAN',
      },
      indexes: [['loinc_code']],
    },
    lab_orders: {
      pk: ['id'],
      unique: [['order_number']],
      fks: { test_id: 'lab_tests_catalog' },
      columns: {
        patient_id: 'CHAR(36)',
        encounter_id: 'CHAR(36)',
        priority: 'ENUM',
        status: 'ENUM',
        ordered_at: 'DATETIME',
        deleted_at: 'TIMESTAMP',
      },
      indexes: [['patient_id', 'ordered_at'], ['status']],
      enums: {
        priority: ['routine', 'urgent', 'stat'],
        status: ['ordered', 'collected', 'in_progress', 'completed', 'cancelled'],
      },
    },
    lab_specimens: {
      pk: ['id'],
      unique: [['specimen_number']],
      fks: { order_id: 'lab_orders' },
      columns: { specimen_type: 'VARCHAR(50)', collected_at: 'DATETIME', received_at: 'DATETIME', status: 'ENUM' },
      enums: { status: ['collected', 'received', 'rejected'] },
    },
    lab_results: {
      pk: ['id'],
      fks: { order_id: 'lab_orders', specimen_id: 'lab_specimens', test_id: 'lab_tests_catalog' },
      columns: {
        component_code: 'VARCHAR(50)',
        value_numeric: 'DECIMAL(15,4)',
        value_text: 'TEXT',
        unit: 'VARCHAR(30)',
        abnormal_flag: 'ENUM',
        is_critical: 'BOOLEAN',
        status: 'ENUM',
      },
      indexes: [['patient_id', 'result_at']],
      enums: {
        abnormal_flag: ['N', 'L', 'H', 'LL', 'HH', 'A', 'AA'],
        status: ['preliminary', 'final', 'corrected', 'amended'],
      },
    },
  },
  triggers: ['before insert lab_results', 'before update lab_results'],
};

const nilecareMedicationReference: DatabaseRef = {
  engine: 'mysql',
  tables: {
    medications: {
      pk: ['id'],
      unique: [['medication_code']],
      columns: {
        id: 'CHAR(36)',
        name: 'VARCHAR(255)',
        rxnorm_code: 'VARCHAR(20)',
        atc_code: 'VARCHAR(10)',
        form: 'ENUM',
        strength: 'VARCHAR(50)',
        is_active: 'BOOLEAN',
      },
    },
    prescriptions: {
      pk: ['id'],
      unique: [['prescription_number']],
      fks: { medication_id: 'medications' },
      columns: {
        patient_id: 'CHAR(36)',
        prescriber_id: 'CHAR(36)',
        dose: 'DECIMAL(10,3)',
        frequency: 'VARCHAR(50)',
        status: 'ENUM',
        start_date: 'DATE',
      },
      indexes: [['patient_id', 'status']],
      enums: { status: ['active', 'on_hold', 'completed', 'cancelled', 'stopped'] },
    },
    mar_entries: {
      pk: ['id'],
      fks: { prescription_id: 'prescriptions', medication_id: 'medications' },
      columns: {
        scheduled_time: 'DATETIME',
        administered_time: 'DATETIME',
        administered_by: 'CHAR(36)',
        witnessed_by: 'CHAR(36)',
        status: 'ENUM',
      },
      enums: { status: ['scheduled', 'given', 'held', 'refused', 'missed'] },
    },
    high_alert_medications: {
      pk: ['id'],
      unique: [['medication_id']],
      fks: { medication_id: 'medications' },
      columns: { requires_double_check: 'BOOLEAN', alert_category: 'ENUM' },
    },
    medication_audit_log: {
      pk: ['id'],
      columns: { action: 'VARCHAR(100)', old_values: 'JSON', new_values: 'JSON', timestamp: 'TIMESTAMP' },
    },
  },
  triggers: ['before insert mar_entries', 'before update mar_entries'],
};

/** nilecareLab as migrated: the reference plus FHIR projection keys (V2) and projection ownership (V3). */
export const nilecareLab = withProjectionOwnership(
  withProjectionKeys(nilecareLabReference, ['lab_tests_catalog', 'lab_orders', 'lab_specimens', 'lab_results']),
  ['lab_tests_catalog', 'lab_orders', 'lab_specimens', 'lab_results'],
);

/** nilecareMedication as migrated: the reference plus FHIR projection keys (V2) and projection ownership (V3). */
export const nilecareMedication = withProjectionOwnership(
  withProjectionKeys(nilecareMedicationReference, ['medications', 'prescriptions', 'mar_entries']),
  ['medications', 'prescriptions', 'mar_entries', 'high_alert_medications', 'medication_audit_log'],
);
