/**
 * Rows the hospital's services write themselves (source NULL), with fixed ids so that two target sets get the
 * same rows: a locally registered device with its calibration log and a gateway reading; a local lab test and
 * order; a local medication and prescription; a local invoice with a line, a reminder, an adjustment and a payment.
 */
import type { ProjectionTargets } from '../start-projections.js';
import { openSqlClient } from '../sql-client.js';

const id = (n: number) => `5e5e5e5e-0000-4000-8000-${String(n).padStart(12, '0')}`;
const PATIENT = id(99);

export async function insertServiceRows(targets: Required<ProjectionTargets>, readingAt: string): Promise<void> {
  const run = async (url: string, statements: Array<[string, unknown[]]>) => {
    const db = await openSqlClient(url, 1);
    try {
      for (const [sql, params] of statements) await db.query(sql, params);
    } finally {
      await db.close();
    }
  };
  await run(targets.devicesPostgresUrl, [
    [
      "INSERT INTO devices (id, device_type, serial_number, status) VALUES ($1, 'ecg', 'LOCAL-ECG-1', 'online')",
      [id(1)],
    ],
    [
      "INSERT INTO device_calibration_logs (id, device_id, calibration_date, result) VALUES ($1, $2, '2025-01-02 08:00:00', 'passed')",
      [id(2), id(1)],
    ],
    [
      "INSERT INTO device_readings (device_id, patient_id, reading_type, reading_value, reading_unit, \"timestamp\") VALUES ($1, $2, 'HR', 72, 'bpm', $3)",
      [id(1), PATIENT, readingAt],
    ],
  ]);
  await run(targets.labMysqlUrl, [
    [
      "INSERT INTO lab_tests_catalog (id, test_code, test_name, category, specimen_type) VALUES (?, 'LOCAL-MAL', 'Malaria smear', 'parasitology', 'blood')",
      [id(3)],
    ],
    [
      "INSERT INTO lab_orders (id, order_number, patient_id, test_id, priority) VALUES (?, 'LAB-LOCAL-9', ?, ?, 'stat')",
      [id(4), PATIENT, id(3)],
    ],
  ]);
  await run(targets.medicationMysqlUrl, [
    [
      "INSERT INTO medications (id, medication_code, name, form) VALUES (?, 'LOCAL-ART', 'Artemether/lumefantrine', 'tablet')",
      [id(5)],
    ],
    [
      "INSERT INTO prescriptions (id, prescription_number, patient_id, prescriber_id, medication_id, dose, dose_unit, route, frequency, start_date) VALUES (?, 'RX-LOCAL-9', ?, ?, ?, 4, 'tablet', 'oral', 'BID', '2025-01-03')",
      [id(6), PATIENT, id(7), id(5)],
    ],
  ]);
  await run(targets.billingMysqlUrl, [
    [
      "INSERT INTO invoices (id, invoice_number, patient_id, facility_id, status, invoice_date, due_date) VALUES (?, 'INV-LOCAL-9', ?, ?, 'pending', '2025-01-03', '2025-02-02')",
      [id(8), PATIENT, id(9)],
    ],
    [
      "INSERT INTO invoice_line_items (id, invoice_id, line_number, item_type, item_name, quantity, unit_price) VALUES (?, ?, 1, 'consultation', 'OPD visit', 1, 3000)",
      [id(10), id(8)],
    ],
    [
      "INSERT INTO payment_reminders (id, invoice_id, reminder_type, delivery_method, scheduled_date) VALUES (?, ?, 'upcoming_due', 'sms', '2025-01-30 09:00:00')",
      [id(11), id(8)],
    ],
    [
      "INSERT INTO billing_adjustments (id, invoice_id, adjustment_type, adjustment_amount, is_credit) VALUES (?, ?, 'discount', 500, TRUE)",
      [id(12), id(8)],
    ],
    [
      "INSERT INTO invoice_payment_allocations (id, invoice_id, payment_id, allocated_amount, allocation_type, payment_status, allocated_at) VALUES (?, ?, ?, 1000, 'partial', 'completed', '2025-01-04 10:00:00')",
      [id(13), id(8), id(14)],
    ],
  ]);
}
