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
import { nilecareLab, nilecareMedication } from './reference-lab-medication.js';

const skip = await serverMissing('mysql');

describe('migrations/mysql/nilecare_lab', { skip }, () => {
  let db: TestDatabase;
  let c: Connection;
  before(async () => {
    db = await migratedDatabase('mysql', 'nilecare_lab');
    c = await mysqlConnection(db.url);
  });
  after(async () => {
    await c?.end();
    await db?.drop();
  });

  it('matches the documented tables and the recorded column choices', async () => {
    await assertMatchesReference('mysql', db.url, nilecareLab);
  });

  it('links order, specimen and result; critical flags are always critical; rejections need a reason', async () => {
    await c.query(
      "INSERT INTO lab_tests_catalog (id, test_code, loinc_code, test_name, category, specimen_type) VALUES ('t-k', 'K', '2823-3', 'Potassium', 'chemistry', 'serum')",
    );
    await c.query(
      "INSERT INTO lab_orders (id, order_number, patient_id, test_id, priority) VALUES ('o1', 'LAB-1', 'p1', 't-k', 'stat')",
    );
    await assert.rejects(
      c.query("INSERT INTO lab_orders (order_number, patient_id, test_id) VALUES ('LAB-2', 'p1', 'no-test')"),
      /foreign key/,
    );
    await c.query(
      "INSERT INTO lab_specimens (id, specimen_number, order_id, patient_id, specimen_type, status, collected_at) VALUES ('s1', 'ACC-1', 'o1', 'p1', 'serum', 'collected', '2026-01-01 08:00:00')",
    );
    await assert.rejects(
      c.query("UPDATE lab_specimens SET status = 'rejected' WHERE id = 's1'"),
      /chk_lab_specimens_rejection|CONSTRAINT/,
    );
    await assert.rejects(
      c.query("UPDATE lab_specimens SET received_at = '2025-12-31 00:00:00' WHERE id = 's1'"),
      /chk_lab_specimens_received|CONSTRAINT/,
    );
    await c.query(
      "INSERT INTO lab_results (id, order_id, specimen_id, test_id, patient_id, component_code, component_name, value_numeric, unit, abnormal_flag, is_critical, status) VALUES ('r1', 'o1', 's1', 't-k', 'p1', '2823-3', 'Potassium', 6.9, 'mmol/L', 'HH', FALSE, 'final')",
    );
    const [[r]] = (await c.query("SELECT is_critical, value_numeric FROM lab_results WHERE id = 'r1'")) as unknown as [
      { is_critical: number; value_numeric: string }[],
    ];
    assert.deepEqual(r, { is_critical: 1, value_numeric: '6.9000' });
    await assert.rejects(
      c.query(
        "INSERT INTO lab_results (order_id, patient_id, component_code, component_name, status) VALUES ('o1', 'p1', 'x', 'x', 'final')",
      ),
      /chk_lab_results_value|CONSTRAINT/,
    );
    await assert.rejects(
      c.query("DELETE FROM lab_orders WHERE id = 'o1'"),
      /foreign key/,
      'an order with results cannot vanish',
    );
    // Projection keys: FHIR ids are case-sensitive, and one resource projects to one row.
    await c.query("UPDATE lab_orders SET fhir_id = 'sr-Abc', fhir_version = 3 WHERE id = 'o1'");
    await c.query(
      "INSERT INTO lab_orders (order_number, patient_id, test_id, fhir_id, fhir_version) VALUES ('LAB-3', 'p1', 't-k', 'sr-abc', 1)",
    );
    await assert.rejects(
      c.query(
        "INSERT INTO lab_orders (order_number, patient_id, test_id, fhir_id) VALUES ('LAB-4', 'p1', 't-k', 'sr-Abc')",
      ),
      /Duplicate entry/,
    );
  });

  it('undoes to zero and migrates again', async () => {
    await assertUndoAndRedo('mysql', 'nilecare_lab', db.url, nilecareLab);
  });
});

describe('migrations/mysql/nilecare_medication', { skip }, () => {
  let db: TestDatabase;
  let c: Connection;
  before(async () => {
    db = await migratedDatabase('mysql', 'nilecare_medication');
    c = await mysqlConnection(db.url);
  });
  after(async () => {
    await c?.end();
    await db?.drop();
  });

  it('matches the documented tables and the recorded column choices', async () => {
    await assertMatchesReference('mysql', db.url, nilecareMedication);
  });

  it('records administrations; a high-alert drug needs an independent witness and a dose within its limit', async () => {
    await c.query(
      "INSERT INTO medications (id, medication_code, name, form, strength) VALUES ('m-para', 'PARA500', 'Paracetamol', 'tablet', '500 mg'), ('m-ins', 'INS-R', 'Insulin regular', 'injection', '100 IU/mL')",
    );
    await c.query(
      "INSERT INTO high_alert_medications (medication_id, alert_category, max_single_dose, dose_unit) VALUES ('m-ins', 'insulin', 20, 'IU')",
    );
    await c.query(
      "INSERT INTO prescriptions (id, prescription_number, patient_id, prescriber_id, medication_id, dose, dose_unit, route, frequency, start_date) VALUES ('rx1', 'RX-1', 'p1', 'd1', 'm-ins', 10, 'IU', 'sc', 'TID', '2026-01-01'), ('rx2', 'RX-2', 'p1', 'd1', 'm-para', 1000, 'mg', 'oral', 'q6h', '2026-01-01')",
    );
    await assert.rejects(
      c.query(
        "INSERT INTO prescriptions (prescription_number, patient_id, prescriber_id, medication_id, dose, dose_unit, route, frequency, start_date, refills_allowed, refills_remaining) VALUES ('RX-3', 'p1', 'd1', 'm-para', 1, 'mg', 'oral', 'once', '2026-01-01', 1, 2)",
      ),
      /chk_prescriptions_refills|CONSTRAINT/,
    );
    const give = (id: string, rx: string, med: string, dose: number, witness: string | null) =>
      c.query(
        "INSERT INTO mar_entries (id, prescription_id, patient_id, medication_id, scheduled_time, administered_time, dose_given, dose_unit, status, administered_by, witnessed_by) VALUES (?, ?, 'p1', ?, '2026-01-01 08:00:00', '2026-01-01 08:05:00', ?, 'IU', 'given', 'n1', ?)",
        [id, rx, med, dose, witness],
      );
    await assert.rejects(give('a1', 'rx1', 'm-ins', 10, null), /without an independent witness/);
    await assert.rejects(give('a1', 'rx1', 'm-ins', 10, 'n1'), /without an independent witness/);
    await assert.rejects(give('a1', 'rx1', 'm-ins', 25, 'n2'), /maximum single dose/);
    await give('a1', 'rx1', 'm-ins', 10, 'n2');
    await give('a2', 'rx2', 'm-para', 1000, null);
    await assert.rejects(
      c.query(
        "INSERT INTO mar_entries (prescription_id, patient_id, medication_id, scheduled_time, status) VALUES ('rx2', 'p1', 'm-para', '2026-01-01 14:00:00', 'given')",
      ),
      /chk_mar_entries_given|CONSTRAINT/,
    );
    await assert.rejects(
      c.query(
        "INSERT INTO mar_entries (prescription_id, patient_id, medication_id, scheduled_time, status) VALUES ('rx2', 'p1', 'm-para', '2026-01-01 14:00:00', 'refused')",
      ),
      /chk_mar_entries_not_given|CONSTRAINT/,
    );
    const [rows] = await c.query("SELECT id FROM mar_entries WHERE patient_id = 'p1' ORDER BY id");
    assert.deepEqual(rows, [{ id: 'a1' }, { id: 'a2' }]);
  });

  it('undoes to zero and migrates again', async () => {
    await assertUndoAndRedo('mysql', 'nilecare_medication', db.url, nilecareMedication);
  });
});
