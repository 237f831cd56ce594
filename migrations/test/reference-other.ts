import type { DatabaseRef } from './schema-checks.js';

/**
 * The databases for which the schema reference lists table names only (§MySQL 3-6, 9, 10 and
 * §PostgreSQL 2, 3). Table lists are the reference's (plus the named additions where it gives a
 * count larger than its list); keys and columns checked here are the choices in migrations/README.md.
 */
export const nilecarePayment: DatabaseRef = {
  engine: 'mysql',
  tables: {
    payment_transactions: {
      pk: ['id'],
      unique: [['transaction_number'], ['idempotency_key'], ['provider_id', 'provider_reference']],
      fks: { provider_id: 'payment_providers', payment_method_id: 'payment_methods' },
      columns: {
        amount: 'DECIMAL(12,2)',
        currency: 'VARCHAR(3)',
        net_amount: 'DECIMAL(12,2)',
        refunded_amount: 'DECIMAL(12,2)',
        status: 'ENUM',
      },
      generated: ['net_amount'],
      enums: { status: ['pending', 'completed', 'failed', 'refunded', 'partially_refunded'] },
    },
    payment_providers: {
      pk: ['id'],
      unique: [['code']],
      enums: { provider_type: ['cash', 'card', 'bank_transfer', 'mobile_money'] },
    },
    payment_methods: { pk: ['id'], unique: [['provider_id', 'token']], fks: { provider_id: 'payment_providers' } },
    payment_disputes: { pk: ['id'], fks: { transaction_id: 'payment_transactions' } },
    payment_reconciliation: { pk: ['id'], fks: { provider_id: 'payment_providers' }, generated: ['difference'] },
    fraud_detection_logs: {
      pk: ['id'],
      fks: { transaction_id: 'payment_transactions' },
      columns: { risk_score: 'DECIMAL(5,2)', rules_triggered: 'JSON' },
    },
    payment_refunds: { pk: ['id'], fks: { transaction_id: 'payment_transactions' } },
    payment_webhooks: { pk: ['id'], unique: [['provider_id', 'event_id']], fks: { provider_id: 'payment_providers' } },
    payment_installments: { pk: ['id'], unique: [['plan_reference', 'installment_number']] },
    payment_audit_log: { pk: ['id'] },
  },
  triggers: ['after insert payment_refunds', 'after update payment_refunds', 'before insert payment_refunds'],
};

export const nilecareBusiness: DatabaseRef = {
  engine: 'mysql',
  tables: {
    staff: {
      pk: ['id'],
      unique: [['employee_number']],
      fks: { department_id: 'departments' },
      enums: { role: ['doctor', 'nurse', 'pharmacist'] },
    },
    departments: { pk: ['id'], fks: { parent_department_id: 'departments', head_staff_id: 'staff' } },
    working_hours: {
      pk: ['id'],
      fks: { staff_id: 'staff' },
      columns: { day_of_week: 'TINYINT', start_time: 'TIME', end_time: 'TIME' },
    },
    appointments: {
      pk: ['id'],
      unique: [['appointment_number']],
      fks: { doctor_id: 'staff', department_id: 'departments' },
      columns: { patient_id: 'CHAR(36)', doctor_id: 'CHAR(36)', appointment_date: 'DATE', status: 'ENUM' },
      indexes: [
        ['doctor_id', 'appointment_date', 'start_time'],
        ['patient_id', 'appointment_date'],
      ],
      generated: ['duration_minutes'],
      enums: { status: ['scheduled', 'confirmed', 'completed', 'cancelled', 'no_show'] },
    },
  },
  triggers: ['before insert appointments', 'before update appointments'],
};

export const nilecareClinical: DatabaseRef = {
  engine: 'mysql',
  tables: {
    encounters: {
      pk: ['id'],
      unique: [['encounter_number']],
      columns: { patient_id: 'CHAR(36)', start_time: 'DATETIME' },
      indexes: [['patient_id', 'start_time']],
    },
    diagnoses: {
      pk: ['id'],
      fks: { encounter_id: 'encounters' },
      columns: { icd10_code: 'VARCHAR(10)', description: 'VARCHAR(255)' },
      indexes: [['icd10_code']],
    },
    vital_signs: { pk: ['id'], fks: { encounter_id: 'encounters' }, generated: ['bmi'] },
    allergies: { pk: ['id'], enums: { category: ['food', 'medication', 'environment'] } },
    immunizations: { pk: ['id'], fks: { encounter_id: 'encounters' } },
    clinical_notes: {
      pk: ['id'],
      fks: { encounter_id: 'encounters', amends_note_id: 'clinical_notes' },
      enums: { note_type: ['soap', 'progress'] },
    },
    procedures: { pk: ['id'], fks: { encounter_id: 'encounters' } },
    referrals: { pk: ['id'], fks: { encounter_id: 'encounters' } },
  },
  triggers: ['before update clinical_notes'],
};

export const nilecareFacility: DatabaseRef = {
  engine: 'mysql',
  tables: {
    facilities: { pk: ['id'], unique: [['code']], enums: { facility_type: ['hospital', 'clinic'] } },
    buildings: { pk: ['id'], fks: { facility_id: 'facilities' } },
    rooms: {
      pk: ['id'],
      unique: [['building_id', 'room_number']],
      fks: { building_id: 'buildings' },
      generated: ['beds_available'],
    },
    equipment: { pk: ['id'], unique: [['asset_tag']], fks: { facility_id: 'facilities', room_id: 'rooms' } },
    resources: { pk: ['id'], fks: { facility_id: 'facilities', room_id: 'rooms', equipment_id: 'equipment' } },
  },
};

export const nilecareCds: DatabaseRef = {
  engine: 'mysql',
  tables: {
    drug_interactions: {
      pk: ['id'],
      unique: [['code_system', 'drug_a_code', 'drug_b_code']],
      enums: { severity: ['minor', 'moderate', 'major', 'contraindicated'] },
    },
    allergy_interactions: { pk: ['id'] },
    dose_ranges: { pk: ['id'], columns: { min_dose: 'DECIMAL(12,4)', max_dose: 'DECIMAL(12,4)' } },
    contraindications: { pk: ['id'] },
    clinical_alerts: { pk: ['id'], indexes: [['patient_id', 'status']] },
    alert_overrides: { pk: ['id'], fks: { alert_id: 'clinical_alerts' } },
  },
  triggers: ['before insert alert_overrides', 'after insert alert_overrides'],
};

export const nilecareInventory: DatabaseRef = {
  engine: 'mysql',
  tables: {
    inventory_items: { pk: ['id'], unique: [['item_code']], fks: { preferred_supplier_id: 'suppliers' } },
    inventory_transactions: { pk: ['id'], fks: { item_id: 'inventory_items', purchase_order_id: 'purchase_orders' } },
    stock_levels: {
      pk: ['id'],
      unique: [['item_id', 'location_id', 'batch_number']],
      fks: { item_id: 'inventory_items' },
      generated: ['quantity_available'],
    },
    purchase_orders: {
      pk: ['id'],
      unique: [['po_number']],
      fks: { supplier_id: 'suppliers' },
      generated: ['total_amount'],
    },
    suppliers: { pk: ['id'], unique: [['supplier_code']] },
  },
  views: ['v_items_to_reorder', 'v_expiring_stock'],
  triggers: [
    'after insert inventory_transactions',
    'before update inventory_transactions',
    'before delete inventory_transactions',
  ],
};

export const nilecareNotifications: DatabaseRef = {
  engine: 'postgres',
  tables: {
    notifications: {
      pk: ['id'],
      fks: { template_id: 'notification_templates' },
      columns: { id: 'UUID', recipient_id: 'UUID', body: 'TEXT', data: 'JSON', scheduled_at: 'TIMESTAMPTZ' },
    },
    notification_templates: { pk: ['id'], unique: [['code', 'channel', 'locale', 'version']] },
    notification_preferences: { pk: ['id'], unique: [['user_id', 'channel', 'category']] },
    notification_delivery_log: { pk: ['id'], fks: { notification_id: 'notifications' } },
  },
  triggers: ['after insert notification_delivery_log', 'before update notifications'],
};

export const ehrService: DatabaseRef = {
  engine: 'postgres',
  tables: {
    patients: {
      pk: ['id'],
      unique: [['mrn'], ['national_id']],
      columns: { id: 'UUID', date_of_birth: 'DATE', gender: 'VARCHAR(10)' },
    },
    care_plans: { pk: ['id'], fks: { patient_id: 'patients', problem_id: 'problem_lists' } },
    problem_lists: { pk: ['id'], fks: { patient_id: 'patients' } },
    family_history: { pk: ['id'], fks: { patient_id: 'patients' } },
    social_history: { pk: ['id'], fks: { patient_id: 'patients' } },
    advance_directives: { pk: ['id'], fks: { patient_id: 'patients' } },
    consents: { pk: ['id'], fks: { patient_id: 'patients' } },
    care_team: { pk: ['id'], fks: { patient_id: 'patients' } },
  },
  triggers: ['before update patients'],
};
