/**
 * Rows the services own next to the rows the projections own (issue #17): a rebuild touches only projection-owned
 * rows (source = 'fhir'), upserting them in place, so a device calibration log, a gateway-ingested reading, a
 * payment reminder, a billing adjustment and a locally entered prescription or lab order survive it unchanged and
 * keep their parents; rows no resource produces any more are swept; a Patient merge moves every row to the
 * survivor; a non-UUID FHIR id can be read back from the UUID stored for it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { stableUuid } from './rows.js';
import { daysAgo, DR, labCategory, loinc, openScenario, ORG, type Scenario } from './testing/scenario-harness.js';
import { snapshotRows } from './testing/target-databases.js';

const A = 'mrn-1001'; // not a UUID: stored as the stable UUID of Patient/mrn-1001
const B = '9b3c2a4e-4444-4a4a-8a8a-000000000004';
const A_ID = stableUuid(`Patient/${A}`);
const a = { reference: `Patient/${A}` };

const resources = (at: string): Resource[] =>
  [
    { resourceType: 'Patient', id: A, name: [{ family: 'Osman', given: ['Amna'] }] },
    { resourceType: 'Patient', id: B, name: [{ family: 'Osman', given: ['Amna'] }] },
    { resourceType: 'Account', id: 'acct-o', status: 'active', subject: [a] },
    {
      resourceType: 'Invoice',
      id: 'inv-o',
      status: 'issued',
      subject: a,
      issuer: { reference: `Organization/${ORG}` },
      account: { reference: 'Account/acct-o' },
      date: '2025-04-01',
      lineItem: [
        {
          sequence: 1,
          chargeItemCodeableConcept: { text: 'Consultation' },
          priceComponent: [{ type: 'base', amount: { value: 2000 } }],
        },
      ],
    },
    {
      resourceType: 'PaymentReconciliation',
      id: 'pr-o',
      status: 'active',
      created: '2025-04-02',
      paymentDate: '2025-04-02',
      paymentAmount: { value: 500 },
      detail: [
        { type: { coding: [{ code: 'payment' }] }, request: { reference: 'Invoice/inv-o' }, amount: { value: 500 } },
      ],
    },
    {
      resourceType: 'Claim',
      id: 'clm-o',
      status: 'active',
      use: 'claim',
      type: { coding: [{ code: 'professional' }] },
      patient: a,
      created: '2025-04-01T09:00:00Z',
      provider: { reference: `Organization/${ORG}` },
      priority: { coding: [{ code: 'normal' }] },
      insurance: [{ sequence: 1, focal: true, coverage: { display: 'NHIF' } }],
      item: [{ sequence: 1, productOrService: { text: 'visit' }, net: { value: 2000 } }],
    },
    {
      resourceType: 'Observation',
      id: 'lab-o',
      status: 'final',
      category: labCategory,
      code: loinc('2345-7', 'Glucose'),
      subject: a,
      effectiveDateTime: '2025-04-01T08:00:00Z',
      valueQuantity: { value: 5.1, unit: 'mmol/L' },
    },
    {
      resourceType: 'MedicationRequest',
      id: 'mr-o',
      status: 'active',
      intent: 'order',
      subject: a,
      requester: { reference: `Practitioner/${DR}` },
      medicationCodeableConcept: {
        coding: [
          {
            system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
            code: '197361',
            display: 'Amlodipine 5 MG Oral Tablet',
          },
        ],
      },
      authoredOn: '2025-04-01',
    },
    {
      resourceType: 'Device',
      id: 'dev-o',
      status: 'active',
      serialNumber: 'SN-O',
      type: { text: 'monitor' },
      patient: a,
    },
    {
      resourceType: 'Observation',
      id: 'hr-o',
      status: 'final',
      code: loinc('8867-4', 'Heart rate'),
      subject: a,
      device: { reference: 'Device/dev-o' },
      effectiveDateTime: at,
      valueQuantity: { value: 88, unit: '/min' },
    },
  ] as Resource[];

describe('projection-owned and service-owned rows (rebuild, sweep, merge)', () => {
  let s: Scenario;
  const at = daysAgo(1);

  before(async () => {
    s = await openScenario();
    await s.fhir.put(...resources(at));
    await s.running.caughtUp();
    // What the services write themselves next to the projected rows, pointing at them.
    const b = s.db.billing;
    const invoiceId = stableUuid('Invoice/inv-o');
    await b.query(
      "INSERT INTO payment_reminders (invoice_id, reminder_type, delivery_method, scheduled_date) VALUES (?, 'upcoming_due', 'sms', '2025-04-20 09:00:00')",
      [invoiceId],
    );
    await b.query(
      "INSERT INTO billing_adjustments (invoice_id, adjustment_type, adjustment_reason, adjustment_amount, is_credit) VALUES (?, 'financial_assistance', 'zakat fund', 300, TRUE)",
      [invoiceId],
    );
    await b.query(
      "INSERT INTO invoice_payment_allocations (invoice_id, payment_id, allocated_amount, allocation_type, payment_status, allocated_at) VALUES (?, 'gateway-77', 200, 'partial', 'completed', '2025-04-03 10:00:00')",
      [invoiceId],
    );
    const medication = (await s.one(s.db.medication, "SELECT id FROM medications WHERE medication_code = '197361'"))!
      .id;
    await s.db.medication.query(
      "INSERT INTO prescriptions (prescription_number, patient_id, prescriber_id, medication_id, dose, dose_unit, route, frequency, start_date) VALUES ('RX-LOCAL-1', ?, ?, ?, 5, 'mg', 'oral', 'once daily', '2025-04-05')",
      [A_ID, DR, medication],
    );
    const test = (await s.one(s.db.lab, "SELECT id FROM lab_tests_catalog WHERE test_code = '2345-7'"))!.id;
    await s.db.lab.query(
      "INSERT INTO lab_orders (order_number, patient_id, test_id, priority) VALUES ('LAB-LOCAL-1', ?, ?, 'urgent')",
      [A_ID, test],
    );
    const device = stableUuid('Device/dev-o');
    await s.db.device.query(
      "INSERT INTO device_calibration_logs (device_id, calibrated_by, calibration_date, result) VALUES ($1, $2, '2025-04-01 10:00:00', 'passed')",
      [device, DR],
    );
    await s.db.device.query(
      "INSERT INTO device_readings (device_id, patient_id, reading_type, reading_value, reading_unit, \"timestamp\") VALUES ($1, $2, '8867-4', 91, '/min', $3)",
      [device, A_ID, new Date(Date.parse(at) + 60_000).toISOString()],
    );
  });
  after(async () => {
    await s?.close();
  });

  it('balances count the service rows too: 2000 − 500 (FHIR) − 200 (gateway) − 300 (assistance)', async () => {
    const inv = (await s.one(s.db.billing, 'SELECT status, paid_amount, balance_due FROM invoices WHERE fhir_id = ?', [
      'inv-o',
    ]))!;
    assert.deepEqual([inv.status, Number(inv.paid_amount), Number(inv.balance_due)], ['partially_paid', 1000, 1000]);
  });

  it('a rebuild upserts the projected rows in place and leaves every service row as it was (no foreign key stops it, no cascade deletes)', async () => {
    const projected = await snapshotRows(s.targets.targets);
    const service = await snapshotRows(s.targets.targets, 'service');
    assert.ok(Object.values(service).flat().length >= 7, 'the service rows are there');
    for (const d of s.running.dispatchers) {
      const result = await d.rebuild();
      assert.deepEqual([result.deadLetters, result.swept], [0, 0], d.name);
    }
    assert.deepEqual(await snapshotRows(s.targets.targets, 'service'), service, 'service rows untouched');
    assert.deepEqual(await snapshotRows(s.targets.targets), projected, 'projected rows as before');
  });

  it('a projected row no resource produces any more is swept by a rebuild (soft-deleted where the table has deleted_at)', async () => {
    await s.db.billing.query(
      "INSERT INTO insurance_claims (id, claim_number, patient_id, claim_type, claim_format, fhir_id, fhir_version, source) VALUES (UUID(), 'CLM-GHOST', ?, 'professional', 'CMS1500', 'ghost', 1, 'fhir')",
      [A_ID],
    );
    for (const d of s.running.dispatchers) if (d.name === 'billing') assert.equal((await d.rebuild()).swept, 1);
    const ghost = (await s.one(
      s.db.billing,
      "SELECT deleted_at, source FROM insurance_claims WHERE fhir_id = 'ghost'",
    ))!;
    assert.ok(ghost.deleted_at, 'soft-deleted');
    assert.equal(ghost.source, 'fhir');
  });

  it('the UUID stored for a non-UUID FHIR id names it in fhir_reference_ids, in every target database', async () => {
    for (const db of Object.values(s.db)) {
      const row = await s.one(db, 'SELECT resource_type, fhir_id FROM fhir_reference_ids WHERE id = ?', [A_ID]);
      assert.deepEqual([row?.resource_type, row?.fhir_id], ['Patient', A], db.url);
    }
  });

  it('Patient A replaced by B: every row of A moves to B (projected and the service rows), later resources naming A land on B, and a rebuild agrees', async () => {
    await s.fhir.put({
      resourceType: 'Patient',
      id: A,
      active: false,
      link: [{ other: { reference: `Patient/${B}` }, type: 'replaced-by' }],
    });
    await s.running.caughtUp();
    const count = async (db: keyof Scenario['db'], table: string, column: string, id: string) =>
      Number(
        (await s.one(s.db[db], `SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ${db === 'device' ? '$1' : '?'}`, [
          id,
        ]))!.n,
      );
    const where: Array<[keyof Scenario['db'], string, string]> = [
      ['billing', 'invoices', 'patient_id'],
      ['billing', 'insurance_claims', 'patient_id'],
      ['billing', 'billing_accounts', 'patient_id'],
      ['lab', 'lab_orders', 'patient_id'],
      ['lab', 'lab_results', 'patient_id'],
      ['medication', 'prescriptions', 'patient_id'],
      ['device', 'devices', 'assigned_patient_id'],
      ['device', 'device_readings', 'patient_id'],
    ];
    for (const [db, table, column] of where) {
      assert.equal(await count(db, table, column, A_ID), 0, `${table}: nothing left under A`);
      assert.ok((await count(db, table, column, B)) > 0, `${table}: rows under B`);
    }
    assert.equal(await count('medication', 'prescriptions', 'patient_id', B), 2, 'the local prescription moved too');
    assert.equal(await count('device', 'device_readings', 'patient_id', B), 2, 'the gateway reading moved too');
    await s.fhir.put({
      resourceType: 'Claim',
      id: 'clm-o2',
      status: 'active',
      use: 'claim',
      type: { coding: [{ code: 'professional' }] },
      patient: a,
      created: '2025-05-01T09:00:00Z',
      provider: { reference: `Organization/${ORG}` },
      priority: { coding: [{ code: 'normal' }] },
      insurance: [{ sequence: 1, focal: true, coverage: { display: 'NHIF' } }],
      item: [{ sequence: 1, productOrService: { text: 'visit' }, net: { value: 100 } }],
    });
    await s.running.caughtUp();
    assert.equal(
      (await s.one(s.db.billing, 'SELECT patient_id FROM insurance_claims WHERE fhir_id = ?', ['clm-o2']))!.patient_id,
      B,
    );
    const projected = await snapshotRows(s.targets.targets);
    const service = await snapshotRows(s.targets.targets, 'service');
    for (const d of s.running.dispatchers) await d.rebuild();
    assert.deepEqual(await snapshotRows(s.targets.targets), projected);
    assert.deepEqual(await snapshotRows(s.targets.targets, 'service'), service);
  });
});
