import { withProjectionKeys, type DatabaseRef } from './schema-checks.js';

/**
 * Transcribed by hand from /work/shared/nilecare-database-schemas.md (§MySQL 1 nilecare_auth and
 * §MySQL 2 nilecare_billing, "Indexes & Performance", "Full-Text Search"). Types are the document's.
 */
export const nilecareAuth: DatabaseRef = {
  engine: 'mysql',
  tables: {
    auth_users: {
      columns: {
        id: 'CHAR(36)', email: 'VARCHAR(255)', username: 'VARCHAR(50)', password_hash: 'VARCHAR(255)', first_name: 'VARCHAR(50)',
        last_name: 'VARCHAR(50)', role: 'VARCHAR(50)', status: 'VARCHAR(50)', mfa_enabled: 'BOOLEAN', mfa_secret: 'VARCHAR(255)',
        failed_login_attempts: 'INT', last_login: 'TIMESTAMP', email_verified: 'BOOLEAN', organization_id: 'VARCHAR(50)',
        permissions: 'JSON', created_at: 'TIMESTAMP', updated_at: 'TIMESTAMP',
      },
      pk: ['id'],
      unique: [['email'], ['username']],
      indexes: [['status'], ['organization_id'], ['email', 'password_hash', 'status']],
      namedIndexes: { idx_auth_users_email: ['email'], idx_auth_users_login: ['email', 'password_hash', 'status'] },
    },
    auth_refresh_tokens: {
      columns: {
        id: 'VARCHAR(50)', token: 'VARCHAR(500)', user_id: 'VARCHAR(50)', expires_at: 'TIMESTAMP', is_revoked: 'BOOLEAN',
        device_fingerprint: 'VARCHAR(255)', ip_address: 'VARCHAR(45)', created_at: 'TIMESTAMP',
      },
      pk: ['id'],
      unique: [['token']],
      fks: { user_id: 'auth_users' },
    },
    auth_devices: {
      columns: { id: 'VARCHAR(50)', user_id: 'VARCHAR(50)', fingerprint: 'VARCHAR(255)', name: 'VARCHAR(100)', is_verified: 'BOOLEAN', last_used: 'TIMESTAMP' },
      pk: ['id'],
      fks: { user_id: 'auth_users' },
    },
    auth_roles: {
      columns: { id: 'VARCHAR(50)', name: 'VARCHAR(50)', description: 'TEXT', permissions: 'JSON', is_system: 'BOOLEAN' },
      pk: ['id'],
      unique: [['name']],
    },
    auth_permissions: {
      columns: { id: 'VARCHAR(50)', name: 'VARCHAR(100)', resource: 'VARCHAR(50)', action: 'VARCHAR(50)', description: 'TEXT' },
      pk: ['id'],
      unique: [['name']],
    },
    auth_audit_logs: {
      columns: {
        id: 'VARCHAR(50)', user_id: 'VARCHAR(50)', action: 'VARCHAR(100)', resource: 'VARCHAR(100)', result: 'VARCHAR(20)',
        ip_address: 'VARCHAR(45)', metadata: 'JSON', timestamp: 'TIMESTAMP',
      },
      pk: ['id'],
      fks: { user_id: 'auth_users' },
    },
    auth_login_attempts: {
      columns: { id: 'VARCHAR(50)', email: 'VARCHAR(255)', ip_address: 'VARCHAR(45)', success: 'BOOLEAN', reason: 'VARCHAR(255)', timestamp: 'TIMESTAMP' },
      pk: ['id'],
    },
  },
  triggers: ['before delete auth_roles'],
};

const nilecareBillingReference: DatabaseRef = {
  engine: 'mysql',
  tables: {
    invoices: {
      columns: {
        id: 'CHAR(36)', invoice_number: 'VARCHAR(50)', patient_id: 'CHAR(36)', facility_id: 'CHAR(36)', billing_account_id: 'CHAR(36)',
        invoice_type: 'ENUM', subtotal: 'DECIMAL(12,2)', tax_amount: 'DECIMAL(12,2)', discount_amount: 'DECIMAL(12,2)',
        total_amount: 'DECIMAL(12,2)', paid_amount: 'DECIMAL(12,2)', balance_due: 'DECIMAL(12,2)', status: 'ENUM',
        invoice_date: 'DATE', due_date: 'DATE', paid_date: 'DATE', currency: 'VARCHAR(3)', created_at: 'TIMESTAMP',
        updated_at: 'TIMESTAMP', deleted_at: 'TIMESTAMP',
      },
      pk: ['id'],
      unique: [['invoice_number']],
      fks: { billing_account_id: 'billing_accounts' },
      indexes: [
        ['invoice_number'], ['patient_id'], ['status'], ['patient_id', 'status'], ['status', 'due_date'], ['patient_id', 'status', 'invoice_date'],
        ['invoice_number', 'description', 'patient_notes'],
      ],
      namedIndexes: {
        idx_invoice_number: ['invoice_number'],
        idx_patient_id: ['patient_id'],
        idx_status: ['status'],
        idx_patient_status: ['patient_id', 'status'],
        idx_overdue: ['status', 'due_date'],
        idx_invoices_patient_status_date: ['patient_id', 'status', 'invoice_date'],
        idx_invoices_search: ['invoice_number', 'description', 'patient_notes'],
      },
      generated: ['balance_due'],
      enums: { invoice_type: ['standard', 'insurance', 'emergency'], status: ['draft', 'pending', 'paid', 'overdue', 'partially_paid'] },
      notNull: ['invoice_number', 'patient_id', 'facility_id', 'invoice_type', 'subtotal', 'total_amount', 'invoice_date', 'due_date'],
      defaults: { tax_amount: '0', discount_amount: '0', paid_amount: '0', status: 'draft', currency: 'SDG', created_at: 'current_timestamp', paid_date: 'null', deleted_at: 'null' },
    },
    invoice_line_items: {
      columns: {
        id: 'CHAR(36)', invoice_id: 'CHAR(36)', line_number: 'INT', item_type: 'ENUM', item_code: 'VARCHAR(100)', item_name: 'VARCHAR(255)',
        quantity: 'DECIMAL(10,2)', unit_price: 'DECIMAL(10,2)', line_total: 'DECIMAL(12,2)', service_date: 'DATE',
        procedure_code: 'VARCHAR(20)', diagnosis_codes: 'JSON',
      },
      pk: ['id'],
      fks: { invoice_id: 'invoices' },
      enums: { item_type: ['service', 'medication', 'lab_test'] },
    },
    billing_accounts: {
      columns: {
        id: 'CHAR(36)', account_number: 'VARCHAR(50)', patient_id: 'CHAR(36)', total_charges: 'DECIMAL(12,2)', total_payments: 'DECIMAL(12,2)',
        balance_due: 'DECIMAL(12,2)', status: 'ENUM', payment_plan_active: 'BOOLEAN', payment_plan_amount: 'DECIMAL(12,2)',
      },
      pk: ['id'],
      unique: [['account_number']],
      indexes: [['patient_id']],
      generated: ['balance_due'],
      enums: { status: ['active', 'collections', 'paid_in_full'] },
    },
    insurance_claims: {
      columns: {
        id: 'CHAR(36)', claim_number: 'VARCHAR(50)', invoice_id: 'CHAR(36)', patient_id: 'CHAR(36)', claim_type: 'ENUM', claim_format: 'ENUM',
        status: 'ENUM', total_charges: 'DECIMAL(12,2)', allowed_amount: 'DECIMAL(12,2)', paid_amount: 'DECIMAL(12,2)',
        patient_responsibility: 'DECIMAL(12,2)', denial_reason_code: 'VARCHAR(50)', submission_date: 'DATETIME', paid_date: 'DATETIME',
      },
      pk: ['id'],
      unique: [['claim_number']],
      fks: { invoice_id: 'invoices' },
      indexes: [['patient_id']],
      enums: {
        claim_type: ['professional', 'institutional', 'dental'],
        claim_format: ['CMS1500', 'UB04', 'EDI_837P'],
        status: ['draft', 'submitted', 'approved', 'paid', 'denied'],
      },
    },
    claim_line_items: {
      columns: {
        id: 'CHAR(36)', claim_id: 'CHAR(36)', procedure_code: 'VARCHAR(20)', diagnosis_codes: 'JSON', charge_amount: 'DECIMAL(12,2)',
        allowed_amount: 'DECIMAL(12,2)', paid_amount: 'DECIMAL(12,2)', line_status: 'ENUM',
      },
      pk: ['id'],
      fks: { claim_id: 'insurance_claims' },
      enums: { line_status: ['submitted', 'approved', 'denied'] },
    },
    billing_adjustments: {
      columns: {
        id: 'CHAR(36)', invoice_id: 'CHAR(36)', adjustment_type: 'ENUM', adjustment_reason: 'VARCHAR(255)', adjustment_amount: 'DECIMAL(12,2)',
        is_credit: 'BOOLEAN', approved_by: 'CHAR(36)',
      },
      pk: ['id'],
      fks: { invoice_id: 'invoices' },
      enums: { adjustment_type: ['discount', 'write_off', 'correction'] },
    },
    billing_statements: {
      columns: {
        id: 'CHAR(36)', statement_number: 'VARCHAR(50)', billing_account_id: 'CHAR(36)', period_start_date: 'DATE', period_end_date: 'DATE',
        opening_balance: 'DECIMAL(12,2)', new_charges: 'DECIMAL(12,2)', payments_received: 'DECIMAL(12,2)', closing_balance: 'DECIMAL(12,2)',
        status: 'ENUM', statement_file_url: 'TEXT',
      },
      pk: ['id'],
      unique: [['statement_number']],
      fks: { billing_account_id: 'billing_accounts' },
      enums: { status: ['draft', 'sent', 'viewed', 'paid'] },
    },
    charge_master: {
      columns: {
        id: 'CHAR(36)', item_code: 'VARCHAR(100)', item_name: 'VARCHAR(255)', item_category: 'ENUM', cpt_code: 'VARCHAR(20)',
        base_price: 'DECIMAL(10,2)', insurance_rate_1: 'DECIMAL(10,2)', insurance_rate_2: 'DECIMAL(10,2)', cash_rate: 'DECIMAL(10,2)', is_active: 'BOOLEAN',
      },
      pk: ['id'],
      unique: [['item_code']],
      namedIndexes: { idx_charge_master_search: ['item_name', 'item_description'] },
      enums: { item_category: ['consultation', 'procedure', 'lab_test'] },
    },
    billing_audit_log: {
      columns: {
        id: 'CHAR(36)', action: 'VARCHAR(100)', resource_type: 'ENUM', resource_id: 'CHAR(36)', user_id: 'CHAR(36)', old_values: 'JSON',
        new_values: 'JSON', timestamp: 'TIMESTAMP',
      },
      pk: ['id'],
      enums: { resource_type: ['invoice', 'claim', 'adjustment'] },
    },
    payment_reminders: {
      columns: {
        id: 'CHAR(36)', invoice_id: 'CHAR(36)', reminder_type: 'ENUM', delivery_method: 'ENUM', delivery_status: 'ENUM',
        scheduled_date: 'DATETIME', sent_date: 'DATETIME',
      },
      pk: ['id'],
      fks: { invoice_id: 'invoices' },
      enums: {
        reminder_type: ['upcoming_due', 'overdue', 'final_notice'],
        delivery_method: ['email', 'sms', 'phone', 'mail'],
        delivery_status: ['pending', 'sent', 'delivered', 'failed'],
      },
    },
    invoice_payment_allocations: {
      columns: {
        id: 'CHAR(36)', invoice_id: 'CHAR(36)', payment_id: 'CHAR(36)', allocated_amount: 'DECIMAL(12,2)', allocation_type: 'ENUM',
        payment_status: 'VARCHAR(50)',
      },
      pk: ['id'],
      fks: { invoice_id: 'invoices' },
      enums: { allocation_type: ['full', 'partial', 'installment'] },
    },
  },
  views: ['v_outstanding_invoices', 'v_patient_invoice_summary', 'v_claims_needing_action', 'v_revenue_by_category'],
  triggers: [
    'before insert invoice_line_items',
    'before update invoice_line_items',
    'after insert invoice_line_items',
    'after update invoice_line_items',
    'after delete invoice_line_items',
    'before insert invoices',
    'before update invoices',
  ],
};

/** nilecareBilling as migrated: the reference plus FHIR projection keys (V*__Add_fhir_projection_keys). */
export const nilecareBilling = withProjectionKeys(nilecareBillingReference, ['billing_accounts', 'invoices', 'invoice_line_items', 'insurance_claims', 'charge_master']);
