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
import { nilecareAuth } from './reference-auth-billing.js';

describe('migrations/mysql/nilecare_auth', { skip: await serverMissing('mysql') }, () => {
  let db: TestDatabase;
  let c: Connection;
  before(async () => {
    db = await migratedDatabase('mysql', 'nilecare_auth');
    c = await mysqlConnection(db.url);
  });
  after(async () => {
    await c?.end();
    await db?.drop();
  });

  it('matches the schema reference (tables, columns, types, keys, indexes)', async () => {
    await assertMatchesReference('mysql', db.url, nilecareAuth);
  });

  it('seeds the default system roles (auditor added by V3), which cannot be deleted', async () => {
    const [rows] = await c.query('SELECT name FROM auth_roles WHERE is_system ORDER BY name');
    assert.deepEqual(
      (rows as { name: string }[]).map((r) => r.name),
      ['admin', 'auditor', 'doctor', 'nurse', 'patient', 'receptionist'],
    );
    await assert.rejects(c.query("DELETE FROM auth_roles WHERE name = 'doctor'"), /system role cannot be deleted/);
    await c.query("INSERT INTO auth_roles (id, name, is_system) VALUES ('pharmacist', 'pharmacist', FALSE)");
    await c.query("DELETE FROM auth_roles WHERE id = 'pharmacist'");
  });

  it('generates user ids, enforces unique email and valid status, keeps created_at and moves updated_at', async () => {
    await c.query(
      "INSERT INTO auth_users (email, username, password_hash, role, status, created_at, updated_at) VALUES ('amna@nilecare.sd', 'amna', 'x', 'doctor', 'active', '2020-01-01 00:00:00', '2020-01-01 00:00:00')",
    );
    const [[u]] = (await c.query(
      "SELECT id, mfa_enabled, failed_login_attempts, email_verified FROM auth_users WHERE email = 'amna@nilecare.sd'",
    )) as unknown as [{ id: string; mfa_enabled: number; failed_login_attempts: number; email_verified: number }[]];
    assert.match(u!.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual([u!.mfa_enabled, u!.failed_login_attempts, u!.email_verified], [0, 0, 0]);
    await assert.rejects(
      c.query("INSERT INTO auth_users (email, username, password_hash) VALUES ('amna@nilecare.sd', 'amna2', 'x')"),
      /Duplicate entry/,
    );
    await assert.rejects(
      c.query(
        "INSERT INTO auth_users (email, username, password_hash, status) VALUES ('b@nilecare.sd', 'b', 'x', 'happy')",
      ),
      /chk_auth_users_status|CONSTRAINT/,
    );
    await assert.rejects(
      c.query(
        "INSERT INTO auth_users (email, username, password_hash, permissions) VALUES ('c@nilecare.sd', 'c', 'x', '{not json')",
      ),
      /CONSTRAINT|JSON|check/i,
    );
    await c.query('UPDATE auth_users SET failed_login_attempts = 1 WHERE id = ?', [u!.id]);
    const [[t]] = (await c.query('SELECT created_at, updated_at FROM auth_users WHERE id = ?', [u!.id])) as unknown as [
      { created_at: string; updated_at: string }[],
    ];
    assert.equal(t!.created_at, '2020-01-01 00:00:00');
    assert.ok(t!.updated_at > '2025-01-01', `updated_at moved on UPDATE: ${t!.updated_at}`);
  });

  it('refresh tokens and devices belong to an existing user and go away with it', async () => {
    const [[u]] = (await c.query("SELECT id FROM auth_users WHERE email = 'amna@nilecare.sd'")) as unknown as [
      { id: string }[],
    ];
    await assert.rejects(
      c.query(
        "INSERT INTO auth_refresh_tokens (id, token, user_id, expires_at) VALUES ('t0', 'tok0', 'no-such-user', '2030-01-01')",
      ),
      /foreign key constraint fails/,
    );
    await c.query(
      "INSERT INTO auth_refresh_tokens (id, token, user_id, expires_at) VALUES ('t1', 'tok1', ?, '2030-01-01 00:00:00')",
      [u!.id],
    );
    await c.query("INSERT INTO auth_audit_logs (id, user_id, action, result) VALUES ('a1', ?, 'login', 'success')", [
      u!.id,
    ]);
    const [[tok]] = (await c.query(
      "SELECT expires_at, is_revoked FROM auth_refresh_tokens WHERE id = 't1'",
    )) as unknown as [{ expires_at: string; is_revoked: number }[]];
    assert.deepEqual(tok, { expires_at: '2030-01-01 00:00:00', is_revoked: 0 });
    await c.query('DELETE FROM auth_users WHERE id = ?', [u!.id]);
    const [left] = await c.query("SELECT id FROM auth_refresh_tokens WHERE id = 't1'");
    assert.equal((left as unknown[]).length, 0);
    const [[log]] = (await c.query("SELECT user_id FROM auth_audit_logs WHERE id = 'a1'")) as unknown as [
      { user_id: string | null }[],
    ];
    assert.equal(log!.user_id, null, 'the audit trail outlives the user');
  });

  it('undoes to zero and migrates again', async () => {
    await assertUndoAndRedo('mysql', 'nilecare_auth', db.url, nilecareAuth);
  });
});
