/**
 * The projections end to end on hand-written resources (a fresh PGlite FHIR store; real MariaDB and PostgreSQL
 * targets): every mapped resource type lands in its tables, updates and deletes are reflected, numbers and
 * currency follow the conventions, unplaceable resources are dead letters (blocking only themselves), a newer
 * version supersedes a failed one, retry delivers, replays and rebuilds change nothing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Observation, Resource } from '@medplum/fhirtypes';
import { startProjections } from './start-projections.js';
import { snapshotRows } from './testing/target-databases.js';
import {
  daysAgo,
  DR,
  json,
  labCategory,
  loinc,
  openScenario,
  ORG,
  P,
  patient,
  type Scenario,
} from './testing/scenario-harness.js';
import { stableUuid } from './rows.js';

describe('projections: scenarios on MariaDB (billing, lab, medication) and PostgreSQL (devices)', () => {
  let s: Scenario;
  let fhir: Scenario['fhir'];
  let db: Scenario['db'];
  let store: Scenario['store'];
  /** The first row of a query; a query that finds no row fails the test there, saying which. */
  const one = async (...args: Parameters<Scenario['one']>) => {
    const row = await s.one(...args);
    assert.ok(row, `no row for ${args[1]} ${JSON.stringify(args[2] ?? [])}`);
    return row;
  };

  before(async () => {
    s = await openScenario();
    ({ fhir, db, store } = s);
  });
  after(async () => {
    await s?.close();
  });

  it('billing: Account, Invoice with lines (totals by trigger), Claim with ICD-10/CPT lines, ClaimResponse, ChargeItemDefinition, PaymentNotice', async () => {
    await fhir.put(
      {
        resourceType: 'Account',
        id: 'acct-1',
        status: 'active',
        subject: [patient],
        servicePeriod: { start: '2025-03-01' },
      },
      {
        resourceType: 'Invoice',
        id: 'inv-1',
        status: 'issued',
        subject: patient,
        issuer: { reference: `Organization/${ORG}` },
        account: { reference: 'Account/acct-1' },
        date: '2025-03-04T10:00:00Z',
        lineItem: [
          {
            sequence: 1,
            chargeItemCodeableConcept: {
              coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213', display: 'Office visit' }],
            },
            priceComponent: [{ type: 'base', amount: { value: 1500, currency: 'SDG' } }],
          },
          {
            sequence: 2,
            chargeItemCodeableConcept: {
              coding: [{ system: 'http://loinc.org', code: '2093-3', display: 'Cholesterol' }],
            },
            priceComponent: [{ type: 'base', factor: 2, amount: { value: 250 } }],
          },
        ],
      },
      {
        resourceType: 'Claim',
        id: 'claim-1',
        status: 'active',
        use: 'claim',
        type: { coding: [{ code: 'professional' }] },
        patient,
        created: '2025-03-05T08:00:00Z',
        provider: { reference: `Organization/${ORG}` },
        priority: { coding: [{ code: 'normal' }] },
        insurance: [{ sequence: 1, focal: true, coverage: { display: 'NHIF' } }],
        diagnosis: [
          {
            sequence: 1,
            diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'B54' }] },
          },
        ],
        item: [
          {
            sequence: 1,
            diagnosisSequence: [1],
            productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '87207' }] },
            net: { value: 800, currency: 'SDG' },
          },
        ],
      },
      {
        resourceType: 'ChargeItemDefinition',
        id: 'cid-1',
        url: 'http://nilecare.sd/cid/1',
        status: 'active',
        title: 'Malaria smear',
        code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '87207' }] },
        propertyGroup: [{ priceComponent: [{ type: 'base', amount: { value: 800, currency: 'SDG' } }] }],
      },
    );
    await fhir.put(
      {
        resourceType: 'ClaimResponse',
        id: 'cr-1',
        status: 'active',
        type: { coding: [{ code: 'professional' }] },
        use: 'claim',
        patient,
        created: '2025-03-10',
        insurer: { reference: `Organization/${ORG}` },
        request: { reference: 'Claim/claim-1' },
        outcome: 'complete',
        payment: {
          type: { coding: [{ code: 'complete' }] },
          amount: { value: 600, currency: 'SDG' },
          date: '2025-03-11',
        },
        total: [{ category: { coding: [{ code: 'eligible' }] }, amount: { value: 700 } }],
      },
      {
        resourceType: 'PaymentNotice',
        id: 'pn-1',
        status: 'active',
        created: '2025-03-12',
        request: { reference: 'Invoice/inv-1' },
        payment: { display: 'cash' },
        recipient: { reference: `Organization/${ORG}` },
        amount: { value: 1000, currency: 'SDG' },
      },
    );
    await s.running.caughtUp();
    const inv = await one(db.billing, 'SELECT * FROM invoices WHERE fhir_id = ?', ['inv-1']);
    assert.match(inv.invoice_number, /^INV-20250304-[0-9A-Z]{6}$/);
    assert.equal(inv.currency, 'SDG');
    assert.equal(inv.status, 'partially_paid', '1000 of 2000 paid by the PaymentNotice');
    assert.deepEqual(
      [Number(inv.total_amount), Number(inv.paid_amount), Number(inv.balance_due)],
      [2000, 1000, 1000],
      'lines 1500 + 2 × 250, summed by the triggers; the payment allocated',
    );
    assert.equal(inv.due_date, '2025-03-04', 'no payment terms: due on issue');
    assert.equal(
      inv.billing_account_id,
      (await one(db.billing, 'SELECT id FROM billing_accounts WHERE fhir_id = ?', ['acct-1'])).id,
    );
    const claim = await one(db.billing, 'SELECT * FROM insurance_claims WHERE fhir_id = ?', ['claim-1']);
    assert.match(claim.claim_number, /^CLM-20250305-[0-9A-Z]{6}$/);
    assert.deepEqual(
      [
        claim.claim_type,
        claim.claim_format,
        claim.status,
        Number(claim.paid_amount),
        Number(claim.allowed_amount),
        claim.insurer_id,
      ],
      ['professional', 'CMS1500', 'paid', 600, 700, 'NHIF'],
    );
    const line = await one(db.billing, 'SELECT * FROM claim_line_items WHERE claim_id = ?', [claim.id]);
    assert.deepEqual(
      [line.procedure_code, json(line.diagnosis_codes), Number(line.charge_amount)],
      ['87207', ['B54'], 800],
    );
    const cm = await one(db.billing, 'SELECT * FROM charge_master WHERE fhir_id = ?', ['cid-1']);
    assert.deepEqual(
      [cm.item_code, cm.cpt_code, cm.item_category, Number(cm.base_price)],
      ['87207', '87207', 'procedure', 800],
    );
    const alloc = await one(db.billing, 'SELECT * FROM invoice_payment_allocations WHERE invoice_id = ?', [inv.id]);
    assert.equal(Number(alloc.allocated_amount), 1000);

    // Update: one line removed, status balanced → the line items and totals follow; delete → soft delete.
    await fhir.put({
      resourceType: 'Invoice',
      id: 'inv-1',
      status: 'balanced',
      subject: patient,
      issuer: { reference: `Organization/${ORG}` },
      account: { reference: 'Account/acct-1' },
      date: '2025-03-04T10:00:00Z',
      lineItem: [
        {
          sequence: 1,
          chargeItemCodeableConcept: { text: 'Office visit' },
          priceComponent: [{ type: 'base', amount: { value: 1500 } }],
        },
      ],
    });
    await fhir.remove('Claim', 'claim-1');
    await s.running.caughtUp();
    const inv2 = await one(db.billing, 'SELECT * FROM invoices WHERE fhir_id = ?', ['inv-1']);
    assert.deepEqual(
      [inv2.status, Number(inv2.total_amount), Number(inv2.paid_amount), inv2.fhir_version],
      ['paid', 1500, 1000, 2],
      'balanced in FHIR: paid, whatever the allocations say',
    );
    const deleted = await one(db.billing, 'SELECT deleted_at, fhir_version FROM insurance_claims WHERE fhir_id = ?', [
      'claim-1',
    ]);
    assert.ok(deleted.deleted_at, 'a deleted Claim is soft-deleted');
    assert.equal(deleted.fhir_version, 2);
  });

  it('lab: ServiceRequest → order, Specimen, Observation with basedOn/specimen → result, DiagnosticReport verifies; Observation delete removes the result', async () => {
    await fhir.put(
      {
        resourceType: 'ServiceRequest',
        id: 'sr-1',
        status: 'active',
        intent: 'order',
        category: [{ coding: [{ system: 'http://snomed.info/sct', code: '108252007' }] }],
        code: loinc('2345-7', 'Glucose'),
        subject: patient,
        requester: { reference: `Practitioner/${DR}` },
        authoredOn: '2025-05-01T07:00:00Z',
        priority: 'stat',
        reasonCode: [{ coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'E11.9' }] }],
      },
      {
        resourceType: 'Specimen',
        id: 'sp-1',
        status: 'available',
        accessionIdentifier: { value: 'ACC-0001' },
        type: { text: 'serum' },
        subject: patient,
        request: [{ reference: 'ServiceRequest/sr-1' }],
        receivedTime: '2025-05-01T08:00:00Z',
        collection: { collectedDateTime: '2025-05-01T07:30:00Z' },
      },
      {
        resourceType: 'Observation',
        id: 'obs-1',
        status: 'final',
        category: labCategory,
        code: loinc('2345-7', 'Glucose'),
        subject: patient,
        basedOn: [{ reference: 'ServiceRequest/sr-1' }],
        specimen: { reference: 'Specimen/sp-1' },
        effectiveDateTime: '2025-05-01T09:00:00Z',
        valueQuantity: { value: 31, unit: 'mmol/L' },
        interpretation: [{ coding: [{ code: 'HH' }] }],
        referenceRange: [{ low: { value: 3.9 }, high: { value: 5.5 } }],
      },
      {
        resourceType: 'DiagnosticReport',
        id: 'dr-1',
        status: 'final',
        category: [{ coding: [{ code: 'LAB' }] }],
        code: loinc('2345-7', 'Glucose'),
        subject: patient,
        issued: '2025-05-01T10:00:00Z',
        resultsInterpreter: [{ reference: `Practitioner/${DR}` }],
        result: [{ reference: 'Observation/obs-1' }],
      },
    );
    await s.running.caughtUp();
    const order = await one(db.lab, 'SELECT * FROM lab_orders WHERE fhir_id = ?', ['sr-1']);
    assert.deepEqual([order.priority, order.status, json(order.diagnosis_codes)], ['stat', 'ordered', ['E11.9']]);
    const result = await one(db.lab, 'SELECT * FROM lab_results WHERE fhir_id = ?', ['obs-1']);
    assert.equal(result.order_id, order.id);
    assert.equal(
      result.specimen_id,
      (await one(db.lab, 'SELECT id FROM lab_specimens WHERE specimen_number = ?', ['ACC-0001'])).id,
    );
    assert.deepEqual(
      [Number(result.value_numeric), result.abnormal_flag, Number(result.is_critical), result.verified_by],
      [31, 'HH', 1, DR],
    );
    assert.equal(
      (await one(db.lab, 'SELECT test_name FROM lab_tests_catalog WHERE test_code = ?', ['2345-7'])).test_name,
      'Glucose',
    );
    await fhir.remove('Observation', 'obs-1');
    await s.running.caughtUp();
    assert.deepEqual(await db.lab.query('SELECT * FROM lab_results WHERE fhir_id = ?', ['obs-1']), []);
  });

  it('medication: a request for a Medication not there yet is a dead letter, its next version fails in its place, and it is delivered once the Medication exists', async () => {
    const mr = (dose: number): Resource => ({
      resourceType: 'MedicationRequest',
      id: 'mr-late',
      status: 'active',
      intent: 'order',
      subject: patient,
      requester: { reference: `Practitioner/${DR}` },
      medicationReference: { reference: 'Medication/med-insulin' },
      authoredOn: '2025-06-01T08:00:00Z',
      dosageInstruction: [
        {
          route: { text: 'subcutaneous' },
          timing: { repeat: { frequency: 3, period: 1, periodUnit: 'd' } },
          doseAndRate: [{ doseQuantity: { value: dose, unit: 'U' } }],
        },
      ],
    });
    await fhir.put(mr(10));
    await fhir.put(mr(12));
    await fhir.put({
      resourceType: 'MedicationRequest',
      id: 'mr-nobody',
      status: 'active',
      intent: 'order',
      subject: patient,
      medicationCodeableConcept: {
        coding: [
          {
            system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
            code: '197361',
            display: 'Amlodipine 5 MG Oral Tablet',
          },
        ],
      },
    });
    await fhir.put({
      resourceType: 'MedicationRequest',
      id: 'mr-ok',
      status: 'active',
      intent: 'order',
      subject: patient,
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
      authoredOn: '2025-06-02',
    });
    await s.running.caughtUp();
    const letters = (await s.running.status()).find((s) => s.projection === 'medication')!.deadLetters;
    const late = letters.find((l) => l.resourceId === 'mr-late')!;
    assert.equal(late.failedVersion, 2, 'version 2 was tried (not held behind version 1) and failed in its place');
    assert.match(late.error, /Medication\/med-insulin is not in the medication database/);
    assert.match(letters.find((l) => l.resourceId === 'mr-nobody')!.error, /no requester Practitioner/);
    const ok = await one(
      db.medication,
      'SELECT p.*, m.form, m.is_formulary FROM prescriptions p JOIN medications m ON m.id = p.medication_id WHERE p.fhir_id = ?',
      ['mr-ok'],
    );
    assert.deepEqual(
      [ok.route, ok.form, Number(ok.is_formulary)],
      ['oral', 'tablet', 0],
      'other requests are not blocked',
    );
    assert.deepEqual(await db.medication.query('SELECT * FROM prescriptions WHERE fhir_id = ?', ['mr-late']), []);

    await fhir.put({
      resourceType: 'Medication',
      id: 'med-insulin',
      status: 'active',
      code: {
        coding: [
          {
            system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
            code: '311041',
            display: 'Insulin glargine 100 UNT/ML Injectable Solution',
          },
        ],
      },
    });
    await s.running.caughtUp();
    // Automatic retry (retryBaseMs 200) or an explicit one: either way the newest version ends up delivered.
    const deadline = Date.now() + 10_000;
    while (
      (await s.running.status())
        .find((s) => s.projection === 'medication')!
        .deadLetters.some((l) => l.resourceId === 'mr-late') &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const rx = await one(db.medication, 'SELECT * FROM prescriptions WHERE fhir_id = ?', ['mr-late']);
    assert.deepEqual([Number(rx.dose), rx.fhir_version, rx.route, rx.frequency], [12, 2, 'sc', '3x per 1d']);
    const audit = await db.medication.query<{ action: string }>(
      'SELECT action FROM medication_audit_log WHERE entity_id = ? ORDER BY action',
      [stableUuid('MedicationRequest/mr-late')],
    );
    assert.deepEqual(
      audit.map((a) => a.action),
      ['fhir_update'],
      'the version delivered is audited (version 1 never was applied)',
    );
    const high = await one(
      db.medication,
      'SELECT h.alert_category FROM high_alert_medications h JOIN medications m ON m.id = h.medication_id WHERE m.fhir_id = ?',
      ['med-insulin'],
    );
    assert.equal(high.alert_category, 'insulin');
    assert.equal(
      await s.running.retryDeadLetter('medication', 'MedicationRequest', 'mr-nobody'),
      false,
      'still unplaceable',
    );
  });

  it('devices: Device, an Observation with components → one reading per value (batched), a device DetectedIssue → alert; a corrected time moves its readings; deleting the Observation removes them', async () => {
    const at = daysAgo(3);
    const later = new Date(Date.parse(at) + 30 * 60_000).toISOString();
    await fhir.put(
      {
        resourceType: 'Device',
        id: 'mon-1',
        status: 'active',
        serialNumber: 'SN-77',
        manufacturer: 'Mindray',
        type: { text: 'patient monitor' },
        patient,
      },
      {
        resourceType: 'Observation',
        id: 'bp-1',
        status: 'final',
        code: loinc('85354-9', 'Blood pressure panel'),
        subject: patient,
        device: { reference: 'Device/mon-1' },
        effectiveDateTime: at,
        component: [
          { code: loinc('8480-6', 'Systolic'), valueQuantity: { value: 182, unit: 'mm[Hg]' } },
          { code: loinc('8462-4', 'Diastolic'), valueQuantity: { value: 111, unit: 'mm[Hg]' } },
        ],
      },
      {
        resourceType: 'DetectedIssue',
        id: 'di-1',
        status: 'final',
        severity: 'high',
        code: { text: 'hypertensive crisis' },
        patient,
        author: { reference: 'Device/mon-1' },
        identifiedDateTime: at,
        detail: 'BP 182/111',
      },
    );
    await s.running.caughtUp();
    const dev = await one(db.device, 'SELECT * FROM devices WHERE fhir_id = $1', ['mon-1']);
    assert.deepEqual([dev.serial_number, dev.status, dev.assigned_patient_id], ['SN-77', 'online', P]);
    const readings = await db.device.query<Record<string, any>>(
      'SELECT reading_type, reading_value FROM device_readings WHERE device_id = $1 ORDER BY reading_type',
      [dev.id],
    );
    assert.deepEqual(
      readings.map((r) => [r.reading_type, Number(r.reading_value)]),
      [
        ['8462-4', 111],
        ['8480-6', 182],
      ],
    );
    const alert = await one(db.device, 'SELECT * FROM device_alerts WHERE fhir_id = $1', ['di-1']);
    assert.deepEqual([alert.severity, alert.alert_message, alert.device_id], ['high', 'BP 182/111', dev.id]);
    // Corrected time and one component dropped: the readings under the old keys go, the new one is there.
    const corrected = (await store.read('Observation', 'bp-1'))!.resource as Observation;
    await fhir.put({
      ...corrected,
      status: 'corrected',
      effectiveDateTime: later,
      component: corrected.component!.slice(0, 1),
    });
    await s.running.caughtUp();
    const moved = await db.device.query<Record<string, any>>(
      'SELECT reading_type, "timestamp" FROM device_readings WHERE device_id = $1',
      [dev.id],
    );
    assert.deepEqual(
      moved.map((r) => [r.reading_type, new Date(r.timestamp).toISOString()]),
      [['8480-6', later]],
    );
    await fhir.remove('Observation', 'bp-1');
    await s.running.caughtUp();
    assert.equal((await db.device.query('SELECT 1 FROM device_readings WHERE device_id = $1', [dev.id])).length, 0);
  });

  it('a replay from the start (cursor reset) and a rebuild change no row', async () => {
    const before = await snapshotRows(s.targets.targets);
    await s.running.stop();
    for (const c of Object.values(db)) await c.query('UPDATE projection_state SET cursor_seq = 0');
    s.running = await startProjections({ store, targets: s.targets.targets, pollIntervalMs: 20 });
    await s.running.caughtUp();
    assert.deepEqual(await snapshotRows(s.targets.targets), before, 'replay of every change is harmless');
    // The rebuild runs while the dispatchers poll (they wait on the cursor lock).
    for (const d of s.running.dispatchers) await d.rebuild();
    const after = await snapshotRows(s.targets.targets);
    // The audit log keeps one row per delivered version; a rebuild delivers only the newest ones again (same ids).
    assert.deepEqual(after, before);
  });
});
