/**
 * Targets projected before the `source` column existed (billing before V4, lab / medication / devices before V3):
 * the migrations mark the rows the projection wrote then (its conventions of that time: fhir_id, stable
 * name-based UUIDs, `OBS-` implicit orders, catalog rows with specimen 'unspecified', non-formulary medications it
 * added, 'fhir_*' audit actions) as projection-owned, and leave the services' own rows — even those hanging off a
 * projected invoice (a gateway payment, a line the billing office added) or looking like projected ones (a locally
 * registered non-formulary drug, a local catalog test with an unspecified specimen) — with source NULL. Balances
 * of existing invoices are recomputed by the migration. A delivery and a rebuild afterwards then upsert the old
 * rows in place and leave the service rows alone. The "old" rows are written as the projection of 1608618^ wrote
 * them (same ids, numbers and placeholder values).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { migrateDatabase } from '../../server/migrate/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../server/migrate/testing/test-databases.js';
import { openPgliteTestStore } from '../../server/store/postgres/testing/pglite-template.js';
import type { ResourceStore } from '../../server/store/resource-store.js';
import type { Dispatcher } from './dispatcher.js';
import { businessNumber, stableUuid } from './rows.js';
import { openSqlClient, type SqlClient } from './sql-client.js';
import { openDispatchers, type ProjectionTargets } from './start-projections.js';
import { fhirWriter } from './testing/fhir-writer.js';
import { daysAgo, DR, labCategory, loinc, ORG, P } from './testing/scenario-harness.js';
import { snapshotRows } from './testing/target-databases.js';

const patient = { reference: `Patient/${P}` };
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const INSULIN = 'Insulin Glargine 100 UNT/ML Injectable Solution';
const LAB_AT = '2025-04-01T08:00:00Z';

const resources = (readingAt: string): Resource[] =>
  [
    { resourceType: 'Patient', id: P, name: [{ family: 'Ahmed', given: ['Fatima'] }] },
    { resourceType: 'Account', id: 'acct-b', status: 'active', subject: [patient] },
    {
      resourceType: 'Invoice',
      id: 'inv-b',
      status: 'issued',
      subject: patient,
      issuer: { reference: `Organization/${ORG}` },
      account: { reference: 'Account/acct-b' },
      date: '2025-04-01',
      lineItem: [
        {
          sequence: 1,
          chargeItemCodeableConcept: { text: 'Consultation' },
          priceComponent: [{ type: 'base', amount: { value: 2000, currency: 'SDG' } }],
        },
      ],
    },
    {
      resourceType: 'PaymentReconciliation',
      id: 'pr-b',
      status: 'active',
      created: '2025-04-02T10:00:00Z',
      paymentDate: '2025-04-02',
      paymentAmount: { value: 500, currency: 'SDG' },
      detail: [
        { type: { coding: [{ code: 'payment' }] }, request: { reference: 'Invoice/inv-b' }, amount: { value: 500 } },
      ],
    },
    {
      resourceType: 'Claim',
      id: 'clm-b',
      status: 'active',
      use: 'claim',
      type: { coding: [{ code: 'professional' }] },
      patient,
      created: '2025-04-01T09:00:00Z',
      provider: { reference: `Organization/${ORG}` },
      priority: { coding: [{ code: 'normal' }] },
      insurance: [{ sequence: 1, focal: true, coverage: { display: 'NHIF' } }],
      item: [{ sequence: 1, productOrService: { text: 'visit' }, net: { value: 2000 } }],
      total: { value: 2000, currency: 'SDG' },
    },
    {
      resourceType: 'Observation',
      id: 'lab-b',
      status: 'final',
      category: labCategory,
      code: loinc('2345-7', 'Glucose'),
      subject: patient,
      effectiveDateTime: LAB_AT,
      valueQuantity: { value: 5.1, unit: 'mmol/L' },
    },
    {
      resourceType: 'MedicationRequest',
      id: 'mr-b',
      status: 'active',
      intent: 'order',
      subject: patient,
      requester: { reference: `Practitioner/${DR}` },
      medicationCodeableConcept: { coding: [{ system: RXNORM, code: '311041', display: INSULIN }], text: INSULIN },
      authoredOn: '2025-04-01',
    },
    { resourceType: 'Device', id: 'dev-b', status: 'active', serialNumber: 'SN-B', type: { text: 'monitor' } },
    {
      resourceType: 'Observation',
      id: 'hr-b',
      status: 'final',
      code: loinc('8867-4', 'Heart rate'),
      subject: patient,
      device: { reference: 'Device/dev-b' },
      effectiveDateTime: readingAt,
      valueQuantity: { value: 88, unit: '/min' },
    },
  ] as Resource[];

/** Ids as the projection of that time derived them. */
const ID = {
  account: stableUuid('Account/acct-b'),
  invoice: stableUuid('Invoice/inv-b'),
  invoiceLine: stableUuid('Invoice/inv-b/line/1'),
  allocation: stableUuid('PaymentReconciliation/pr-b/inv-b'),
  payment: stableUuid('PaymentReconciliation/pr-b'),
  claim: stableUuid('Claim/clm-b'),
  claimLine: stableUuid('Claim/clm-b/item/1'),
  test: stableUuid('lab_tests_catalog/2345-7'),
  order: stableUuid('implicit-order/Observation/lab-b'),
  result: stableUuid('Observation/lab-b'),
  medication: stableUuid('medications/311041'),
  highAlert: stableUuid(`high_alert/${INSULIN}`),
  prescription: stableUuid('MedicationRequest/mr-b'),
  audit: stableUuid('audit/MedicationRequest/mr-b/1'),
  device: stableUuid('Device/dev-b'),
};
/** The services' own rows (random v4 UUIDs, as an application generates them; MariaDB's UUID() is v1). */
const SVC = {
  gatewayPayment: '0c6f1d2e-7a4b-4c3d-9e8f-112233445566',
  officeLine: '0c6f1d2e-7a4b-4c3d-9e8f-000000000001',
  localTest: '0c6f1d2e-7a4b-4c3d-9e8f-000000000002',
  localOrder: '0c6f1d2e-7a4b-4c3d-9e8f-000000000003',
  localMedication: '0c6f1d2e-7a4b-4c3d-9e8f-000000000004',
  localPrescription: '0c6f1d2e-7a4b-4c3d-9e8f-000000000005',
};

type Targets = Required<ProjectionTargets>;

async function oldProjectedRows(db: Record<string, SqlClient>, readingAt: string): Promise<void> {
  const run = async (c: SqlClient, statements: Array<[string, unknown[]]>) => {
    for (const [sql, params] of statements) await c.query(sql, params);
  };
  // Billing as of V3: the projection's account, invoice (issued → 'pending', due date + 30 days), its line and the
  // allocation of PaymentReconciliation/pr-b; the claim with its line. Then what the services wrote on top.
  await run(db.billing!, [
    [
      "INSERT INTO billing_accounts (id, fhir_id, fhir_version, account_number, patient_id, status, currency) VALUES (?, 'acct-b', 1, ?, ?, 'active', 'SDG')",
      [ID.account, businessNumber('BA', undefined, 'Account/acct-b'), P],
    ],
    [
      "INSERT INTO invoices (id, fhir_id, fhir_version, invoice_number, patient_id, facility_id, billing_account_id, invoice_type, status, invoice_date, due_date, currency) VALUES (?, 'inv-b', 1, ?, ?, ?, ?, 'standard', 'pending', '2025-04-01', '2025-05-01', 'SDG')",
      [ID.invoice, businessNumber('INV', '2025-04-01', 'Invoice/inv-b'), P, ORG, ID.account],
    ],
    [
      "INSERT INTO invoice_line_items (id, invoice_id, line_number, item_type, item_name, quantity, unit_price, service_date) VALUES (?, ?, 1, 'service', 'Consultation', 1, 2000, '2025-04-01')",
      [ID.invoiceLine, ID.invoice],
    ],
    [
      "INSERT INTO invoice_payment_allocations (id, invoice_id, payment_id, allocated_amount, allocation_type, payment_status, allocated_at) VALUES (?, ?, ?, 500, 'partial', 'active', '2025-04-02 10:00:00')",
      [ID.allocation, ID.invoice, ID.payment],
    ],
    [
      "INSERT INTO insurance_claims (id, fhir_id, fhir_version, claim_number, patient_id, insurer_id, claim_type, claim_format, status, total_charges, submission_date, currency) VALUES (?, 'clm-b', 1, ?, ?, 'NHIF', 'professional', 'CMS1500', 'submitted', 2000, '2025-04-01 09:00:00', 'SDG')",
      [ID.claim, businessNumber('CLM', '2025-04-01T09:00:00Z', 'Claim/clm-b'), P],
    ],
    [
      "INSERT INTO claim_line_items (id, claim_id, line_number, diagnosis_codes, charge_amount, line_status) VALUES (?, ?, 1, '[]', 2000, 'submitted')",
      [ID.claimLine, ID.claim],
    ],
    // The payment gateway's allocation and a line the billing office added, both on the projected invoice.
    [
      "INSERT INTO invoice_payment_allocations (invoice_id, payment_id, allocated_amount, allocation_type, payment_status, allocated_at) VALUES (?, ?, 200, 'partial', 'completed', '2025-04-03 10:00:00')",
      [ID.invoice, SVC.gatewayPayment],
    ],
    [
      "INSERT INTO invoice_line_items (id, invoice_id, line_number, item_type, item_name, quantity, unit_price, service_date) VALUES (?, ?, 2, 'supply', 'Dressing', 1, 300, '2025-04-01')",
      [SVC.officeLine, ID.invoice],
    ],
  ]);
  await run(db.lab!, [
    [
      "INSERT INTO lab_tests_catalog (id, test_code, test_name, loinc_code, category, specimen_type) VALUES (?, '2345-7', 'Glucose', '2345-7', 'other', 'unspecified')",
      [ID.test],
    ],
    [
      "INSERT INTO lab_orders (id, order_number, patient_id, test_id, status, ordered_at, completed_at) VALUES (?, ?, ?, ?, 'completed', '2025-04-01 08:00:00', '2025-04-01 08:00:00')",
      [ID.order, businessNumber('OBS', LAB_AT, 'Observation/lab-b'), P, ID.test],
    ],
    [
      "INSERT INTO lab_results (id, fhir_id, fhir_version, order_id, test_id, patient_id, component_code, component_name, value_numeric, unit, status, result_at) VALUES (?, 'lab-b', 1, ?, ?, ?, '2345-7', 'Glucose', 5.1, 'mmol/L', 'final', '2025-04-01 08:00:00')",
      [ID.result, ID.order, ID.test, P],
    ],
    // The lab's own send-out test (its specimen not known in advance) and an order for it.
    [
      "INSERT INTO lab_tests_catalog (id, test_code, test_name, category, specimen_type) VALUES (?, 'LOCAL-SENDOUT', 'Send-out test', 'other', 'unspecified')",
      [SVC.localTest],
    ],
    [
      "INSERT INTO lab_orders (id, order_number, patient_id, test_id, priority) VALUES (?, 'LAB-LOCAL-1', ?, ?, 'urgent')",
      [SVC.localOrder, P, SVC.localTest],
    ],
  ]);
  await run(db.medication!, [
    [
      "INSERT INTO medications (id, medication_code, name, form, is_formulary) VALUES (?, '311041', ?, 'injection', FALSE)",
      [ID.medication, INSULIN],
    ],
    [
      "INSERT INTO high_alert_medications (id, medication_id, alert_category, requires_double_check, warning_message) VALUES (?, ?, 'insulin', TRUE, 'High-alert medication (insulin): independent double check required')",
      [ID.highAlert, ID.medication],
    ],
    [
      "INSERT INTO prescriptions (id, fhir_id, fhir_version, prescription_number, patient_id, prescriber_id, medication_id, dose, dose_unit, route, frequency, start_date) VALUES (?, 'mr-b', 1, ?, ?, ?, ?, 1, 'dose', 'sc', 'as directed', '2025-04-01')",
      [ID.prescription, businessNumber('RX', '2025-04-01', 'MedicationRequest/mr-b'), P, DR, ID.medication],
    ],
    [
      "INSERT INTO medication_audit_log (id, action, entity_type, entity_id, patient_id) VALUES (?, 'fhir_create', 'prescription', ?, ?)",
      [ID.audit, stableUuid('MedicationRequest/mr-b'), P],
    ],
    // The pharmacy's own non-formulary import and a prescription of it entered locally: one tablet, as written.
    [
      "INSERT INTO medications (id, medication_code, name, form, is_formulary) VALUES (?, 'LOCAL-ARTESUNATE', 'Artesunate 60 mg (import)', 'injection', FALSE)",
      [SVC.localMedication],
    ],
    [
      "INSERT INTO prescriptions (id, prescription_number, patient_id, prescriber_id, medication_id, dose, dose_unit, route, frequency, start_date) VALUES (?, 'RX-LOCAL-1', ?, ?, ?, 1, 'dose', 'iv', 'q12h', '2025-04-02')",
      [SVC.localPrescription, P, DR, SVC.localMedication],
    ],
  ]);
  await run(db.device!, [
    [
      "INSERT INTO devices (id, fhir_id, fhir_version, device_type, serial_number, status) VALUES ($1, 'dev-b', 1, 'monitor', 'SN-B', 'online')",
      [ID.device],
    ],
    [
      "INSERT INTO device_readings (device_id, patient_id, reading_type, reading_value, reading_unit, \"timestamp\") VALUES ($1, $2, '8867-4', 88, '/min', $3)",
      [ID.device, P, readingAt],
    ],
    // A reading the gateway ingested for the same device a minute later.
    [
      "INSERT INTO device_readings (device_id, patient_id, reading_type, reading_value, reading_unit, \"timestamp\") VALUES ($1, $2, '8867-4', 91, '/min', $3)",
      [ID.device, P, new Date(Date.parse(readingAt) + 60_000).toISOString()],
    ],
    [
      "INSERT INTO device_calibration_logs (device_id, calibration_date, result) VALUES ($1, '2025-04-01 10:00:00', 'passed')",
      [ID.device],
    ],
  ]);
}

describe('ownership backfill: targets projected before the source column existed', () => {
  const readingAt = daysAgo(2);
  let store: ResourceStore;
  const created: TestDatabase[] = [];
  const targets = {} as Targets;
  const db: Record<string, SqlClient> = {};
  let dispatchers: Dispatcher[] = [];
  let clients: SqlClient[] = [];

  const one = async (c: SqlClient, sql: string, params: unknown[] = []) =>
    (await c.query<Record<string, any>>(sql, params))[0];
  const sourceOf = async (c: SqlClient, table: string, id: string) =>
    (await one(c, `SELECT source FROM ${table} WHERE id = ${c.dialect === 'mysql' ? '?' : '$1'}`, [id]))?.source;
  const invoiceMoney = async () => {
    const i = (await one(
      db.billing!,
      'SELECT status, total_amount, paid_amount, balance_due FROM invoices WHERE id = ?',
      [ID.invoice],
    ))!;
    const a = (await one(db.billing!, 'SELECT total_charges, total_payments FROM billing_accounts WHERE id = ?', [
      ID.account,
    ]))!;
    return [i.status, Number(i.total_amount), Number(i.paid_amount), Number(i.balance_due)].concat([
      Number(a.total_charges),
      Number(a.total_payments),
    ]);
  };

  before(async () => {
    store = await openPgliteTestStore();
    await fhirWriter(store).put(...resources(readingAt));
    const specs = [
      ['mysql', 'nilecare_billing', 'billingMysqlUrl', '3', 'billing'],
      ['mysql', 'nilecare_lab', 'labMysqlUrl', '2', 'lab'],
      ['mysql', 'nilecare_medication', 'medicationMysqlUrl', '2', 'medication'],
      ['postgres', 'nilecare_devices', 'devicesPostgresUrl', '2', 'device'],
    ] as const;
    for (const [engine, name, key, version, projection] of specs) {
      const t = await createTestDatabase(engine, name);
      created.push(t);
      await migrateDatabase({ engine, database: name, connection: { url: t.url }, target: version, log: () => {} });
      targets[key] = t.url;
      db[projection] = await openSqlClient(t.url, 1);
    }
    await oldProjectedRows(db, readingAt);
    // The old dispatchers had delivered everything: their cursor is at the store's last change.
    const changes = await store.changesAfter(0, 1000);
    const last = changes[changes.length - 1]!.seq;
    for (const [name, c] of Object.entries(db)) {
      await c.query(
        'CREATE TABLE projection_state (projection VARCHAR(50) NOT NULL PRIMARY KEY, cursor_seq BIGINT NOT NULL DEFAULT 0, delivered BIGINT NOT NULL DEFAULT 0, last_change_at VARCHAR(40) NULL)',
      );
      await c.query(
        `INSERT INTO projection_state (projection, cursor_seq) VALUES (${c.dialect === 'mysql' ? '?, ?' : '$1, $2'})`,
        [name, last],
      );
    }
  });
  after(async () => {
    for (const c of [...clients, ...Object.values(db)]) await c.close();
    await Promise.all(created.map((t) => t.drop()));
    await store?.close();
  });

  it('migrating to the latest version marks the projected rows and only those; placeholders of the projection only are cleared', async () => {
    for (const [engine, name, key] of [
      ['mysql', 'nilecare_billing', 'billingMysqlUrl'],
      ['mysql', 'nilecare_lab', 'labMysqlUrl'],
      ['mysql', 'nilecare_medication', 'medicationMysqlUrl'],
      ['postgres', 'nilecare_devices', 'devicesPostgresUrl'],
    ] as const)
      await migrateDatabase({ engine, database: name, connection: { url: targets[key] }, log: () => {} });
    const expected: Array<[SqlClient, string, string, string | null]> = [
      [db.billing!, 'billing_accounts', ID.account, 'fhir'],
      [db.billing!, 'invoices', ID.invoice, 'fhir'],
      [db.billing!, 'invoice_line_items', ID.invoiceLine, 'fhir'],
      [db.billing!, 'invoice_payment_allocations', ID.allocation, 'fhir'],
      [db.billing!, 'insurance_claims', ID.claim, 'fhir'],
      [db.billing!, 'claim_line_items', ID.claimLine, 'fhir'],
      [db.billing!, 'invoice_line_items', SVC.officeLine, null],
      [db.lab!, 'lab_tests_catalog', ID.test, 'fhir'],
      [db.lab!, 'lab_orders', ID.order, 'fhir'],
      [db.lab!, 'lab_results', ID.result, 'fhir'],
      [db.lab!, 'lab_tests_catalog', SVC.localTest, null],
      [db.lab!, 'lab_orders', SVC.localOrder, null],
      [db.medication!, 'medications', ID.medication, 'fhir'],
      [db.medication!, 'high_alert_medications', ID.highAlert, 'fhir'],
      [db.medication!, 'prescriptions', ID.prescription, 'fhir'],
      [db.medication!, 'medication_audit_log', ID.audit, 'fhir'],
      [db.medication!, 'medications', SVC.localMedication, null],
      [db.medication!, 'prescriptions', SVC.localPrescription, null],
      [db.device!, 'devices', ID.device, 'fhir'],
    ];
    const actual = [];
    for (const [c, table, id] of expected) actual.push([table, id, await sourceOf(c, table, id)]);
    assert.deepEqual(
      actual,
      expected.map(([, table, id, source]) => [table, id, source]),
    );
    const gateway = await one(db.billing!, 'SELECT source FROM invoice_payment_allocations WHERE payment_id = ?', [
      SVC.gatewayPayment,
    ]);
    assert.equal(gateway?.source, null, "the gateway's payment on a projected invoice is the gateway's");
    const invoice = await one(db.billing!, 'SELECT fhir_status FROM invoices WHERE id = ?', [ID.invoice]);
    assert.equal(invoice?.fhir_status, 'issued');

    const catalog = await db.lab!.query<Record<string, any>>(
      'SELECT id, category, specimen_type FROM lab_tests_catalog ORDER BY test_code',
    );
    assert.deepEqual(
      catalog.map((r) => [r.id, r.category, r.specimen_type]),
      [
        [ID.test, null, null],
        [SVC.localTest, 'other', 'unspecified'],
      ],
      "the projection's invented category and specimen are cleared; the lab's own are its own",
    );
    const doses = await db.medication!.query<Record<string, any>>(
      'SELECT id, dose, dose_unit FROM prescriptions ORDER BY prescription_number',
    );
    assert.deepEqual(
      doses.map((r) => [r.id, r.dose === null ? null : Number(r.dose), r.dose_unit]),
      [
        [ID.prescription, null, null],
        [SVC.localPrescription, 1, 'dose'],
      ],
    );
  });

  it("the migration brings existing invoices' balances and account totals up to date (projected and gateway payments)", async () => {
    // 2000 (FHIR line) + 300 (office line); 500 (FHIR) + 200 (gateway) paid.
    assert.deepEqual(await invoiceMoney(), ['partially_paid', 2300, 700, 1600, 2300, 700]);
  });

  it("a new version of the invoice is delivered in place and leaves the office's line and the gateway's payment", async () => {
    ({ dispatchers, clients } = await openDispatchers({ store, targets, maxAttempts: 1 }));
    const [invoice] = resources(readingAt).filter((r) => r.id === 'inv-b');
    await fhirWriter(store).put({ ...invoice!, note: [{ text: 'patient asked for an itemised copy' }] } as Resource);
    for (const d of dispatchers) while ((await d.runBatch()) > 0);
    const lines = await db.billing!.query<Record<string, any>>(
      'SELECT id, source FROM invoice_line_items WHERE invoice_id = ? ORDER BY line_number',
      [ID.invoice],
    );
    assert.deepEqual(
      lines.map((l) => [l.id, l.source]),
      [
        [ID.invoiceLine, 'fhir'],
        [SVC.officeLine, null],
      ],
    );
    const v = await one(db.billing!, 'SELECT fhir_version, patient_notes FROM invoices WHERE id = ?', [ID.invoice]);
    assert.deepEqual([v?.fhir_version, v?.patient_notes], [2, 'patient asked for an itemised copy']);
    assert.deepEqual(await invoiceMoney(), ['partially_paid', 2300, 700, 1600, 2300, 700]);
  });

  it('a rebuild upserts the old rows in place (same ids, no duplicates) and leaves every service row as it was', async () => {
    const service = await snapshotRows(targets, 'service');
    // The reading at the Observation's device, code and instant is the Observation's value: the projection takes it
    // back (a reading keyed so is one measurement). Every other service row stays as it is.
    const readings = 'devicesPostgresUrl.device_readings';
    service[readings] = service[readings]!.filter((r) => !r.includes('"reading_value":"88.00"'));
    for (const d of dispatchers) {
      const result = await d.rebuild();
      assert.equal(result.deadLetters, 0, d.name);
    }
    assert.deepEqual(await snapshotRows(targets, 'service'), service, 'service rows untouched');
    const counts = async (c: SqlClient, table: string) =>
      (await c.query<Record<string, any>>(`SELECT id, source FROM ${table} ORDER BY id`)).map((r) => [r.id, r.source]);
    const sorted = (rows: Array<[string, string | null]>) => rows.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    assert.deepEqual(await counts(db.billing!, 'invoices'), [[ID.invoice, 'fhir']]);
    assert.deepEqual(await counts(db.billing!, 'insurance_claims'), [[ID.claim, 'fhir']]);
    assert.deepEqual(await counts(db.billing!, 'claim_line_items'), [[ID.claimLine, 'fhir']]);
    assert.deepEqual(
      await counts(db.billing!, 'invoice_line_items'),
      sorted([
        [ID.invoiceLine, 'fhir'],
        [SVC.officeLine, null],
      ]),
    );
    assert.equal(
      (await counts(db.billing!, 'invoice_payment_allocations')).length,
      2,
      'the FHIR allocation and the gateway one',
    );
    assert.deepEqual(await invoiceMoney(), ['partially_paid', 2300, 700, 1600, 2300, 700]);
    const orders = await db.lab!.query<Record<string, any>>(
      'SELECT id, order_number, source, deleted_at FROM lab_orders ORDER BY order_number',
    );
    assert.deepEqual(
      orders.map((o) => [o.id, o.order_number, o.source, o.deleted_at]),
      [
        [SVC.localOrder, 'LAB-LOCAL-1', null, null],
        [ID.order, 'OBS-lab-b', 'fhir', null],
      ],
      'the old implicit order is renumbered in place from its identity',
    );
    assert.deepEqual(
      await counts(db.lab!, 'lab_tests_catalog'),
      sorted([
        [ID.test, 'fhir'],
        [SVC.localTest, null],
      ]),
    );
    assert.deepEqual(
      await counts(db.medication!, 'medications'),
      sorted([
        [ID.medication, 'fhir'],
        [SVC.localMedication, null],
      ]),
    );
    const values = await db.device!.query<Record<string, any>>(
      'SELECT reading_value, source FROM device_readings ORDER BY "timestamp"',
    );
    assert.deepEqual(
      values.map((r) => [Number(r.reading_value), r.source]),
      [
        [88, 'fhir'],
        [91, null],
      ],
      "the old projected reading is the projection's again; the gateway's stays the gateway's",
    );
  });
});
