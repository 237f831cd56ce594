/**
 * Lab, medication and device rows as the services read them (issue #17), on the real servers: a lab result whose
 * effective time changes, that is re-categorised or entered in error; order numbers from FHIR identity; nothing
 * invented; every instant stored as UTC with the devices database defaulting to Africa/Khartoum; readings past the
 * retention window not written again by a replay or a rebuild.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Observation, Resource } from '@medplum/fhirtypes';
import pg from 'pg';
import { stableUuid } from './rows.js';
import {
  daysAgo,
  DR,
  labCategory,
  loinc,
  openScenario,
  P,
  patient,
  type Scenario,
} from './testing/scenario-harness.js';

const P2 = '9b3c2a4e-1111-4a4a-8a8a-000000000002';
const glucose = (id: string, subject: string, effective: string, extra: Partial<Observation> = {}): Resource => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  category: labCategory,
  code: loinc('2345-7', 'Glucose'),
  subject: { reference: `Patient/${subject}` },
  effectiveDateTime: effective,
  valueQuantity: { value: 5.4, unit: 'mmol/L' },
  ...extra,
});

describe('lab, medication and device projections (MariaDB, PostgreSQL in Africa/Khartoum)', () => {
  let s: Scenario;
  const lab = (sql: string, params: unknown[] = []) => s.db.lab.query<Record<string, any>>(sql, params);

  before(async () => {
    s = await openScenario({}, async (targets) => {
      const c = new pg.Client({ connectionString: targets.targets.devicesPostgresUrl });
      await c.connect();
      try {
        const db = (await c.query<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d;
        await c.query(`ALTER DATABASE "${db}" SET timezone TO 'Africa/Khartoum'`);
      } finally {
        await c.end();
      }
    });
  });
  after(async () => {
    await s?.close();
  });

  it('lab: a corrected effective time moves the result and its implicit order in place (no duplicate order); two patients on one day get two orders', async () => {
    await s.fhir.put(glucose('g-1', P, '2025-05-01T07:00:00+03:00'), glucose('g-2', P2, '2025-05-01T07:00:00+03:00'));
    await s.running.caughtUp();
    const orders = await lab(
      "SELECT order_number, patient_id, ordered_at FROM lab_orders WHERE order_number LIKE 'OBS-%' ORDER BY order_number",
    );
    assert.deepEqual(
      orders.map((o) => [o.order_number, o.patient_id, o.ordered_at]),
      [
        ['OBS-g-1', P, '2025-05-01 04:00:00'],
        ['OBS-g-2', P2, '2025-05-01 04:00:00'],
      ],
    );
    await s.fhir.put(
      glucose('g-1', P, '2025-05-02T09:30:00Z', { status: 'corrected', valueQuantity: { value: 6.1, unit: 'mmol/L' } }),
    );
    await s.running.caughtUp();
    const result = (
      await lab(
        'SELECT r.status, r.value_numeric, r.result_at, o.order_number, o.ordered_at FROM lab_results r JOIN lab_orders o ON o.id = r.order_id WHERE r.fhir_id = ?',
        ['g-1'],
      )
    )[0]!;
    assert.deepEqual(
      [result.status, Number(result.value_numeric), result.result_at, result.order_number, result.ordered_at],
      ['corrected', 6.1, '2025-05-02 09:30:00', 'OBS-g-1', '2025-05-02 09:30:00'],
    );
    assert.equal(
      (await s.running.status()).find((p) => p.projection === 'lab')!.deadLetters.length,
      0,
      'no ER_DUP_ENTRY',
    );
    const catalog = (
      await lab('SELECT category, specimen_type, source FROM lab_tests_catalog WHERE test_code = ?', ['2345-7'])
    )[0]!;
    assert.deepEqual(
      [catalog.category, catalog.specimen_type, catalog.source],
      [null, null, 'fhir'],
      'nothing invented',
    );
  });

  it('lab: entered in error → entered_in_error; re-categorised away from laboratory → the result leaves and its implicit order is soft-deleted', async () => {
    await s.fhir.put(
      glucose('g-2', P2, '2025-05-01T07:00:00+03:00', { status: 'entered-in-error', valueQuantity: undefined }),
    );
    await s.running.caughtUp();
    assert.equal(
      (await lab('SELECT status FROM lab_results WHERE fhir_id = ?', ['g-2']))[0]!.status,
      'entered_in_error',
    );
    await s.fhir.put(
      glucose('g-1', P, '2025-05-02T09:30:00Z', {
        category: [
          { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
        ],
      }),
    );
    await s.running.caughtUp();
    assert.deepEqual(await lab('SELECT * FROM lab_results WHERE fhir_id = ?', ['g-1']), []);
    const order = (await lab("SELECT deleted_at FROM lab_orders WHERE order_number = 'OBS-g-1'"))[0]!;
    assert.ok(order.deleted_at, 'its implicit order is soft-deleted');
    // Back to laboratory: it returns, with its order.
    await s.fhir.put(glucose('g-1', P, '2025-05-02T09:30:00Z'));
    await s.running.caughtUp();
    assert.equal((await lab('SELECT status FROM lab_results WHERE fhir_id = ?', ['g-1'])).length, 1);
    assert.equal((await lab("SELECT deleted_at FROM lab_orders WHERE order_number = 'OBS-g-1'"))[0]!.deleted_at, null);
    // A section the data states becomes the catalog category.
    await s.fhir.put({
      ...(glucose('hb-1', P, '2025-05-03T08:00:00Z') as Observation),
      code: loinc('718-7', 'Hemoglobin'),
      category: [...labCategory, { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'HM' }] }],
    });
    await s.running.caughtUp();
    assert.equal(
      (await lab('SELECT category FROM lab_tests_catalog WHERE test_code = ?', ['718-7']))[0]!.category,
      'hematology',
    );
  });

  it('medication: a request without dosage has no dose, unit, route or frequency (NULL), and an identity-derived number', async () => {
    await s.fhir.put({
      resourceType: 'MedicationRequest',
      id: 'mr-bare',
      status: 'active',
      intent: 'order',
      subject: patient,
      requester: { reference: `Practitioner/${DR}` },
      medicationCodeableConcept: {
        coding: [
          { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '1049221', display: 'Acetaminophen 325 MG' },
        ],
      },
      authoredOn: '2025-06-02T08:00:00+02:00',
    });
    await s.running.caughtUp();
    const rx = (
      await s.db.medication.query<Record<string, any>>('SELECT * FROM prescriptions WHERE fhir_id = ?', ['mr-bare'])
    )[0]!;
    assert.deepEqual(
      [rx.prescription_number, rx.dose, rx.dose_unit, rx.route, rx.frequency, rx.prescribed_at, rx.source],
      ['RX-mr-bare', null, null, null, null, '2025-06-02 06:00:00', 'fhir'],
    );
    const med = (
      await s.db.medication.query<Record<string, any>>('SELECT form FROM medications WHERE medication_code = ?', [
        '1049221',
      ])
    )[0]!;
    assert.equal(med.form, null, 'the name states no form');
  });

  it('devices in a database defaulting to Africa/Khartoum: alert and reading instants are the FHIR instants; MySQL sessions run in UTC', async () => {
    const at = daysAgo(2, 9); // 09:00Z = 11:00 in Khartoum
    await s.fhir.put(
      {
        resourceType: 'Device',
        id: 'mon-k',
        status: 'active',
        serialNumber: 'SN-K1',
        type: { text: 'monitor' },
        patient,
      },
      {
        resourceType: 'Observation',
        id: 'hr-k',
        status: 'final',
        code: loinc('8867-4', 'Heart rate'),
        subject: patient,
        device: { reference: 'Device/mon-k' },
        effectiveDateTime: at.replace('Z', '+00:00'),
        valueQuantity: { value: 131, unit: '/min' },
      },
      {
        resourceType: 'DetectedIssue',
        id: 'di-k',
        status: 'final',
        severity: 'high',
        code: { text: 'tachycardia' },
        patient,
        author: { reference: 'Device/mon-k' },
        // The same instant written with Khartoum's offset: 11:00:05+02:00.
        identifiedDateTime: new Date(Date.parse(at) + 5000 + 2 * 3600_000).toISOString().replace('Z', '+02:00'),
      },
    );
    await s.running.caughtUp();
    const khartoum = new pg.Client({ connectionString: s.targets.targets.devicesPostgresUrl });
    await khartoum.connect();
    try {
      const zone = (await khartoum.query<{ tz: string }>("SELECT current_setting('TimeZone') AS tz")).rows[0]!.tz;
      assert.equal(zone, 'Africa/Khartoum', 'the database default the service sessions get');
      const alert = (
        await khartoum.query<{ t: Date; local: string }>(
          'SELECT "timestamp" AS t, to_char("timestamp", \'HH24:MI:SS\') AS local FROM device_alerts WHERE fhir_id = \'di-k\'',
        )
      ).rows[0]!;
      assert.equal(alert.t.toISOString(), new Date(Date.parse(at) + 5000).toISOString());
      assert.equal(alert.local, '11:00:05', 'shown in Khartoum time, stored as the right instant');
      const reading = (
        await khartoum.query<{ t: Date }>('SELECT "timestamp" AS t FROM device_readings WHERE device_id = $1', [
          stableUuid('Device/mon-k'),
        ])
      ).rows[0]!;
      assert.equal(reading.t.toISOString(), at);
    } finally {
      await khartoum.end();
    }
    for (const db of [s.db.billing, s.db.lab, s.db.medication])
      assert.equal(
        (await db.transaction((tx) => tx.query<{ tz: string }>('SELECT @@session.time_zone AS tz')))[0]!.tz,
        '+00:00',
      );
  });

  it('readings older than the retention window are not written, and neither a rewound cursor nor a rebuild writes them again', async () => {
    const old = daysAgo(400);
    await s.fhir.put({
      resourceType: 'Observation',
      id: 'hr-old',
      status: 'final',
      code: loinc('8867-4', 'Heart rate'),
      subject: patient,
      device: { reference: 'Device/mon-k' },
      effectiveDateTime: old,
      valueQuantity: { value: 77, unit: '/min' },
    });
    await s.running.caughtUp();
    const readings = async () =>
      (
        await s.db.device.query<{ t: string }>(
          'SELECT "timestamp"::text AS t FROM device_readings WHERE device_id = $1 ORDER BY 1',
          [stableUuid('Device/mon-k')],
        )
      ).length;
    assert.equal(await readings(), 1, 'only the recent one');
    await s.restart({}, () =>
      s.db.device.query("UPDATE projection_state SET cursor_seq = 0 WHERE projection = 'device'"),
    );
    await s.running.caughtUp();
    assert.equal(await readings(), 1, 'a rewound cursor does not write it');
    for (const d of s.running.dispatchers) if (d.name === 'device') await d.rebuild();
    assert.equal(await readings(), 1, 'a rebuild does not write it');
  });
});
