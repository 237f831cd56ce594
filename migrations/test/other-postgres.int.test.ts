import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import type { TestDatabase } from '../../server/migrate/testing/test-databases.js';
import { assertMatchesReference, assertUndoAndRedo, migratedDatabase, pgClient, serverMissing } from './harness.js';
import { ehrService, nilecareNotifications } from './reference-other.js';
import type { DatabaseRef } from './schema-checks.js';

const skip = await serverMissing('postgres');

function suite(name: string, ref: DatabaseRef, behaviour: (c: () => pg.Client) => void): void {
  describe(`migrations/postgres/${name}`, { skip }, () => {
    let db: TestDatabase;
    let c: pg.Client;
    before(async () => {
      db = await migratedDatabase('postgres', name);
      c = await pgClient(db.url);
    });
    after(async () => {
      await c?.end();
      await db?.drop();
    });
    it('matches the documented tables and the recorded choices', async () => {
      await assertMatchesReference('postgres', db.url, ref);
    });
    behaviour(() => c);
    it('undoes to zero and migrates again', async () => {
      await assertUndoAndRedo('postgres', name, db.url, ref);
    });
  });
}

suite('nilecare_notifications', nilecareNotifications, (c) => {
  it('delivery reports move the notification: retries, failure after max attempts, delivery', async () => {
    const {
      rows: [t],
    } = await c().query(
      `INSERT INTO notification_templates (code, channel, locale, body) VALUES ('appointment_reminder', 'sms', 'ar', 'تذكير بموعدك {{date}}') RETURNING id`,
    );
    await assert.rejects(
      c().query(
        `INSERT INTO notification_templates (code, channel, locale, body) VALUES ('appointment_reminder', 'sms', 'ar', 'x')`,
      ),
      /duplicate key/,
    );
    await assert.rejects(
      c().query(`INSERT INTO notification_templates (code, channel, body) VALUES ('welcome', 'email', 'no subject')`),
      /subject_check/,
    );
    const mk = async () =>
      (
        await c().query(
          `INSERT INTO notifications (recipient_id, channel, template_id, body, max_attempts) VALUES (gen_random_uuid(), 'sms', $1, 'x', 2) RETURNING id`,
          [t.id],
        )
      ).rows[0].id as string;
    const state = async (id: string) =>
      (
        await c().query(
          `SELECT status, attempts, last_error, sent_at IS NOT NULL AS sent, delivered_at IS NOT NULL AS delivered FROM notifications WHERE id = $1`,
          [id],
        )
      ).rows[0];
    const report = (id: string, attempt: number, status: string, error: string | null = null) =>
      c().query(
        `INSERT INTO notification_delivery_log (notification_id, attempt, channel, provider, status, error_message) VALUES ($1, $2, 'sms', 'sudani', $3, $4)`,
        [id, attempt, status, error],
      );
    const a = await mk();
    await report(a, 1, 'failed', 'timeout');
    assert.deepEqual(await state(a), {
      status: 'pending',
      attempts: 1,
      last_error: 'timeout',
      sent: false,
      delivered: false,
    });
    await report(a, 2, 'failed', 'number unreachable');
    assert.deepEqual(await state(a), {
      status: 'failed',
      attempts: 2,
      last_error: 'number unreachable',
      sent: false,
      delivered: false,
    });
    const b = await mk();
    await report(b, 1, 'sent');
    await report(b, 1, 'delivered');
    assert.deepEqual(await state(b), {
      status: 'delivered',
      attempts: 1,
      last_error: null,
      sent: true,
      delivered: true,
    });
    await assert.rejects(
      c().query(
        `INSERT INTO notifications (recipient_id, channel, body, priority) VALUES (gen_random_uuid(), 'pigeon', 'x', 'normal')`,
      ),
      /channel_check/,
    );
  });
});

suite('ehr_service', ehrService, (c) => {
  it('keeps one active directive per type and one active primary clinician; checks identities and consents', async () => {
    const {
      rows: [p],
    } = await c().query(
      `INSERT INTO patients (mrn, national_id, first_name, father_name, last_name, full_name_ar, gender, blood_type) VALUES ('MRN-1', '11223344556', 'Amna', 'Ahmed', 'Osman', 'آمنة أحمد عثمان', 'female', 'O+') RETURNING id, updated_at`,
    );
    await assert.rejects(
      c().query(
        `INSERT INTO patients (mrn, national_id, first_name, last_name) VALUES ('MRN-2', '11223344556', 'X', 'Y')`,
      ),
      /national_id_key/,
    );
    await assert.rejects(
      c().query(`INSERT INTO patients (mrn, first_name, last_name, blood_type) VALUES ('MRN-3', 'X', 'Y', 'C+')`),
      /blood_type_check/,
    );
    await c().query(
      `INSERT INTO advance_directives (patient_id, directive_type, effective_date) VALUES ($1, 'dnr', '2026-01-01')`,
      [p.id],
    );
    await assert.rejects(
      c().query(
        `INSERT INTO advance_directives (patient_id, directive_type, effective_date) VALUES ($1, 'dnr', '2026-02-01')`,
        [p.id],
      ),
      /idx_advance_directives_active/,
    );
    await c().query(`UPDATE advance_directives SET status = 'superseded' WHERE patient_id = $1`, [p.id]);
    await c().query(
      `INSERT INTO advance_directives (patient_id, directive_type, effective_date) VALUES ($1, 'dnr', '2026-02-01')`,
      [p.id],
    );
    await c().query(
      `INSERT INTO care_team (patient_id, member_id, member_name, role, is_primary) VALUES ($1, gen_random_uuid(), 'Dr Hiba', 'primary_physician', true)`,
      [p.id],
    );
    await assert.rejects(
      c().query(
        `INSERT INTO care_team (patient_id, member_id, member_name, role, is_primary) VALUES ($1, gen_random_uuid(), 'Dr Omer', 'attending', true)`,
        [p.id],
      ),
      /idx_care_team_primary/,
    );
    await assert.rejects(
      c().query(
        `INSERT INTO consents (patient_id, consent_type, granted_by, status) VALUES ($1, 'surgery', 'Amna', 'revoked')`,
        [p.id],
      ),
      /consents_revoked_check/,
    );
    await assert.rejects(
      c().query(`INSERT INTO problem_lists (patient_id, description) VALUES (gen_random_uuid(), 'x')`),
      /foreign key/,
    );
    await c().query(`UPDATE patients SET phone = '+249912345678' WHERE id = $1`, [p.id]);
    const {
      rows: [after],
    } = await c().query(`SELECT updated_at FROM patients WHERE id = $1`, [p.id]);
    assert.ok(after.updated_at > p.updated_at, 'updated_at moved');
  });
});
