import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from 'mysql2/promise';
import type { TestDatabase } from '../../server/migrate/testing/test-databases.js';
import {
  assertMatchesReference,
  assertUndoAndRedo,
  migratedDatabase,
  mysqlConnection,
  serverMissing,
} from './harness.js';
import { nilecareBusiness, nilecareClinical, nilecarePayment } from './reference-other.js';
import type { DatabaseRef } from './schema-checks.js';

const skip = await serverMissing('mysql');

/** One database: fresh migrate, reference check, behaviour, undo to zero and migrate again. */
function suite(name: string, ref: DatabaseRef, behaviour: (c: () => Connection) => void): void {
  describe(`migrations/mysql/${name}`, { skip }, () => {
    let db: TestDatabase;
    let c: Connection;
    before(async () => {
      db = await migratedDatabase('mysql', name);
      c = await mysqlConnection(db.url);
    });
    after(async () => {
      await c?.end();
      await db?.drop();
    });
    it('matches the documented tables and the recorded choices', async () => {
      await assertMatchesReference('mysql', db.url, ref);
    });
    behaviour(() => c);
    it('undoes to zero and migrates again', async () => {
      await assertUndoAndRedo('mysql', name, db.url, ref);
    });
  });
}

suite('nilecare_payment', nilecarePayment, (c) => {
  it('refunds keep refunded_amount and status in step, and can never exceed the payment', async () => {
    await c().query(
      "INSERT INTO payment_providers (id, code, name, provider_type) VALUES ('pv1', 'BANKAK', 'Bank of Khartoum mBok', 'mobile_money')",
    );
    await c().query(
      "INSERT INTO payment_transactions (id, transaction_number, provider_id, patient_id, amount, fee_amount, status) VALUES ('t1', 'PAY-1', 'pv1', 'p1', 1000, 15, 'pending')",
    );
    await assert.rejects(
      c().query(
        "INSERT INTO payment_refunds (refund_number, transaction_id, amount, reason) VALUES ('R-0', 't1', 10, 'x')",
      ),
      /only a completed payment/,
    );
    await c().query("UPDATE payment_transactions SET status = 'completed' WHERE id = 't1'");
    await c().query(
      "INSERT INTO payment_refunds (id, refund_number, transaction_id, amount, reason) VALUES ('r1', 'R-1', 't1', 400, 'duplicate charge')",
    );
    const tx = async () =>
      (
        (
          await c().query("SELECT refunded_amount, status, net_amount FROM payment_transactions WHERE id = 't1'")
        )[0] as Record<string, string>[]
      )[0];
    assert.deepEqual(
      await tx(),
      { refunded_amount: '0.00', status: 'completed', net_amount: '985.00' },
      'a pending refund moves nothing',
    );
    await c().query("UPDATE payment_refunds SET status = 'completed' WHERE id = 'r1'");
    assert.deepEqual(await tx(), { refunded_amount: '400.00', status: 'partially_refunded', net_amount: '985.00' });
    await c().query(
      "INSERT INTO payment_refunds (id, refund_number, transaction_id, amount, reason, status) VALUES ('r2', 'R-2', 't1', 700, 'too much', 'pending')",
    );
    await assert.rejects(
      c().query("UPDATE payment_refunds SET status = 'completed' WHERE id = 'r2'"),
      /chk_payment_transactions_amounts|CONSTRAINT/,
    );
    assert.equal((await tx())!.refunded_amount, '400.00');
    await c().query(
      "INSERT INTO payment_refunds (refund_number, transaction_id, amount, reason, status) VALUES ('R-3', 't1', 600, 'rest', 'completed')",
    );
    assert.deepEqual(await tx(), { refunded_amount: '1000.00', status: 'refunded', net_amount: '985.00' });
    await c().query(
      "INSERT INTO payment_webhooks (provider_id, event_id, event_type, payload, signature_valid) VALUES ('pv1', 'evt-1', 'payment.succeeded', '{}', TRUE)",
    );
    await assert.rejects(
      c().query(
        "INSERT INTO payment_webhooks (provider_id, event_id, event_type, payload, signature_valid) VALUES ('pv1', 'evt-1', 'payment.succeeded', '{}', TRUE)",
      ),
      /Duplicate entry/,
    );
  });
});

suite('nilecare_business', nilecareBusiness, (c) => {
  it('prevents double booking a doctor and computes the duration', async () => {
    await c().query("INSERT INTO departments (id, code, name) VALUES ('d1', 'MED', 'Internal Medicine')");
    await c().query(
      "INSERT INTO staff (id, employee_number, first_name, last_name, role, department_id) VALUES ('s1', 'E-1', 'Hiba', 'Osman', 'doctor', 'd1')",
    );
    await c().query("UPDATE departments SET head_staff_id = 's1' WHERE id = 'd1'");
    const book = (id: string, start: string, end: string, status = 'scheduled') =>
      c().query(
        "INSERT INTO appointments (id, appointment_number, patient_id, doctor_id, department_id, appointment_date, start_time, end_time, status, cancellation_reason) VALUES (?, ?, 'p1', 's1', 'd1', '2026-03-01', ?, ?, ?, IF(? = 'cancelled', 'patient request', NULL))",
        [id, `APT-${id}`, start, end, status, status],
      );
    await book('a1', '09:00', '09:30');
    await assert.rejects(book('a2', '09:15', '09:45'), /already has an appointment/);
    await book('a3', '09:30', '10:00');
    await book('a4', '09:00', '09:30', 'cancelled');
    await assert.rejects(
      c().query("UPDATE appointments SET start_time = '09:10', end_time = '09:40' WHERE id = 'a3'"),
      /already has an appointment/,
    );
    const [[a]] = (await c().query("SELECT duration_minutes FROM appointments WHERE id = 'a3'")) as unknown as [
      { duration_minutes: number }[],
    ];
    assert.equal(a!.duration_minutes, 30);
    await assert.rejects(
      c().query(
        "INSERT INTO working_hours (staff_id, day_of_week, start_time, end_time, effective_from) VALUES ('s1', 8, '08:00', '16:00', '2026-01-01')",
      ),
      /chk_working_hours_day|CONSTRAINT/,
    );
  });
});

suite('nilecare_clinical', nilecareClinical, (c) => {
  it('computes BMI, rejects implausible vitals and bad ICD-10 codes, keeps signed notes immutable', async () => {
    await c().query(
      "INSERT INTO encounters (id, encounter_number, patient_id, encounter_class, start_time) VALUES ('e1', 'ENC-1', 'p1', 'outpatient', '2026-02-01 10:00:00')",
    );
    await c().query(
      "INSERT INTO vital_signs (id, encounter_id, patient_id, recorded_at, weight_kg, height_cm, heart_rate) VALUES ('v1', 'e1', 'p1', '2026-02-01 10:05:00', 70, 175, 80)",
    );
    const [[v]] = (await c().query("SELECT bmi FROM vital_signs WHERE id = 'v1'")) as unknown as [{ bmi: string }[]];
    assert.equal(v!.bmi, '22.86');
    await assert.rejects(
      c().query("INSERT INTO vital_signs (patient_id, recorded_at, temperature_c) VALUES ('p1', NOW(), 55)"),
      /chk_vital_signs_ranges|CONSTRAINT/,
    );
    await c().query(
      "INSERT INTO diagnoses (encounter_id, patient_id, icd10_code, description) VALUES ('e1', 'p1', 'B54', 'Malaria, unspecified')",
    );
    await assert.rejects(
      c().query(
        "INSERT INTO diagnoses (encounter_id, patient_id, icd10_code, description) VALUES ('e1', 'p1', 'malaria', 'x')",
      ),
      /chk_diagnoses_icd10|CONSTRAINT/,
    );
    await assert.rejects(
      c().query(
        "INSERT INTO diagnoses (encounter_id, patient_id, icd10_code, description) VALUES ('e1', 'p1', 'b54', 'x')",
      ),
      /chk_diagnoses_icd10|CONSTRAINT/,
    );
    await c().query(
      "INSERT INTO diagnoses (encounter_id, patient_id, icd10_code, description) VALUES ('e1', 'p1', 'E11.9', 'Type 2 diabetes')",
    );
    await c().query(
      "INSERT INTO clinical_notes (id, encounter_id, patient_id, author_id, note_type, assessment, status, signed_by, signed_at) VALUES ('n1', 'e1', 'p1', 'd1', 'soap', 'Malaria', 'final', 'd1', NOW())",
    );
    await assert.rejects(
      c().query("UPDATE clinical_notes SET assessment = 'Typhoid' WHERE id = 'n1'"),
      /signed note cannot be changed/,
    );
    await c().query(
      "INSERT INTO clinical_notes (id, encounter_id, patient_id, author_id, note_type, assessment, amends_note_id) VALUES ('n2', 'e1', 'p1', 'd1', 'soap', 'Typhoid', 'n1')",
    );
    await c().query("UPDATE clinical_notes SET status = 'amended' WHERE id = 'n1'");
    await assert.rejects(
      c().query(
        "INSERT INTO clinical_notes (patient_id, author_id, note_type, status) VALUES ('p1', 'd1', 'progress', 'final')",
      ),
      /chk_clinical_notes_signed|CONSTRAINT/,
    );
  });
});
