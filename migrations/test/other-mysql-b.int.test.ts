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
import { nilecareCds, nilecareFacility, nilecareInventory } from './reference-other.js';
import type { DatabaseRef } from './schema-checks.js';

const skip = await serverMissing('mysql');

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

suite('nilecare_facility', nilecareFacility, (c) => {
  it('counts free beds and refuses over-occupancy and resources without their target', async () => {
    await c().query(
      "INSERT INTO facilities (id, code, name, facility_type, state) VALUES ('f1', 'KTH', 'Khartoum Teaching Hospital', 'hospital', 'Khartoum')",
    );
    await c().query("INSERT INTO buildings (id, facility_id, code, name) VALUES ('b1', 'f1', 'A', 'Main')");
    await c().query(
      "INSERT INTO rooms (id, building_id, room_number, room_type, bed_capacity, beds_occupied) VALUES ('r1', 'b1', '101', 'ward', 6, 4)",
    );
    const [[r]] = (await c().query("SELECT beds_available FROM rooms WHERE id = 'r1'")) as unknown as [
      { beds_available: number }[],
    ];
    assert.equal(r!.beds_available, 2);
    await assert.rejects(c().query("UPDATE rooms SET beds_occupied = 7 WHERE id = 'r1'"), /chk_rooms_beds|CONSTRAINT/);
    await assert.rejects(
      c().query("INSERT INTO rooms (building_id, room_number, room_type) VALUES ('b1', '101', 'ward')"),
      /Duplicate entry/,
    );
    await assert.rejects(
      c().query("INSERT INTO resources (facility_id, resource_type, name) VALUES ('f1', 'equipment', 'MRI slot')"),
      /chk_resources_target|CONSTRAINT/,
    );
    await c().query(
      "INSERT INTO resources (facility_id, resource_type, room_id, name) VALUES ('f1', 'room', 'r1', 'Ward 101')",
    );
  });
});

suite('nilecare_cds', nilecareCds, (c) => {
  it('stores an interaction pair once, and a critical override needs a supervisor', async () => {
    await c().query(
      "INSERT INTO drug_interactions (drug_a_code, drug_a_name, drug_b_code, drug_b_name, severity, clinical_effect) VALUES ('B01AA03', 'warfarin', 'J01FA09', 'clarithromycin', 'major', 'Raised INR, bleeding')",
    );
    await assert.rejects(
      c().query(
        "INSERT INTO drug_interactions (drug_a_code, drug_a_name, drug_b_code, drug_b_name, severity, clinical_effect) VALUES ('J01FA09', 'clarithromycin', 'B01AA03', 'warfarin', 'major', 'x')",
      ),
      /chk_drug_interactions_order|CONSTRAINT/,
    );
    await assert.rejects(
      c().query(
        "INSERT INTO dose_ranges (drug_code, drug_name, route, age_group, min_dose, max_dose, dose_unit) VALUES ('N02BE01', 'paracetamol', 'oral', 'adult', 1000, 500, 'mg')",
      ),
      /chk_dose_ranges_dose|CONSTRAINT/,
    );
    await c().query(
      "INSERT INTO clinical_alerts (id, patient_id, alert_type, severity, title, message) VALUES ('al1', 'p1', 'drug_interaction', 'critical', 'Warfarin + clarithromycin', 'Bleeding risk')",
    );
    await assert.rejects(
      c().query(
        "INSERT INTO alert_overrides (alert_id, overridden_by, override_reason, justification) VALUES ('al1', 'd1', 'monitoring_in_place', 'INR daily for a week')",
      ),
      /needs a supervisor/,
    );
    await assert.rejects(
      c().query(
        "INSERT INTO alert_overrides (alert_id, overridden_by, override_reason, justification, supervisor_id) VALUES ('al1', 'd1', 'monitoring_in_place', 'ok', 'd2')",
      ),
      /chk_alert_overrides_justification|CONSTRAINT/,
    );
    await c().query(
      "INSERT INTO alert_overrides (alert_id, overridden_by, override_reason, justification, supervisor_id) VALUES ('al1', 'd1', 'monitoring_in_place', 'INR daily for a week', 'd2')",
    );
    const [[a]] = (await c().query(
      "SELECT status, resolved_at IS NOT NULL AS resolved FROM clinical_alerts WHERE id = 'al1'",
    )) as unknown as [{ status: string; resolved: number }[]];
    assert.deepEqual([a!.status, Number(a!.resolved)], ['overridden', 1]);
  });
});

suite('nilecare_inventory', nilecareInventory, (c) => {
  it('moves stock only through the ledger, never below zero, and reports reorders and expiries', async () => {
    await c().query(
      "INSERT INTO suppliers (id, supplier_code, name) VALUES ('sup1', 'CMS', 'Central Medical Supplies')",
    );
    await c().query(
      "INSERT INTO inventory_items (id, item_code, name, category, unit_of_measure, reorder_level, preferred_supplier_id) VALUES ('i1', 'AMOX500', 'Amoxicillin 500 mg', 'medication', 'capsule', 50, 'sup1')",
    );
    const move = (n: string, type: string, qty: number, expiry: string | null = null) =>
      c().query(
        "INSERT INTO inventory_transactions (transaction_number, item_id, location_id, batch_number, expiry_date, transaction_type, quantity) VALUES (?, 'i1', 'pharmacy', 'B1', ?, ?, ?)",
        [n, expiry, type, qty],
      );
    const onHand = async () =>
      (
        (
          await c().query(
            "SELECT quantity_on_hand, quantity_available, expiry_date FROM stock_levels WHERE item_id = 'i1'",
          )
        )[0] as Record<string, string>[]
      )[0];
    await move('T1', 'receipt', 100, '2026-01-31');
    await move('T2', 'issue', -30);
    assert.deepEqual(await onHand(), {
      quantity_on_hand: '70.00',
      quantity_available: '70.00',
      expiry_date: '2026-01-31',
    });
    await assert.rejects(move('T3', 'issue', -100), /chk_stock_levels_quantities|CONSTRAINT/);
    await assert.rejects(move('T4', 'issue', 5), /chk_inventory_transactions_sign|CONSTRAINT/);
    const [t3] = await c().query("SELECT id FROM inventory_transactions WHERE transaction_number = 'T3'");
    assert.equal((t3 as unknown[]).length, 0, 'the refused movement is not in the ledger');
    assert.equal((await onHand())!.quantity_on_hand, '70.00');
    await assert.rejects(
      c().query("UPDATE inventory_transactions SET quantity = 1000 WHERE transaction_number = 'T1'"),
      /append-only/,
    );
    await assert.rejects(
      c().query("DELETE FROM inventory_transactions WHERE transaction_number = 'T2'"),
      /append-only/,
    );
    await move('T5', 'issue', -25);
    const [reorder] = await c().query('SELECT item_code, quantity_available FROM v_items_to_reorder');
    assert.deepEqual(reorder, [{ item_code: 'AMOX500', quantity_available: '45.00' }]);
    const [expiring] = await c().query('SELECT batch_number FROM v_expiring_stock');
    assert.deepEqual(expiring, [{ batch_number: 'B1' }]);
  });
});
