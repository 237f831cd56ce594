/**
 * nilecare_auth users and login attempts: auth_users, auth_login_attempts. SQL only; the rules live in login.ts.
 * Runs on MySQL/MariaDB (AUTH_MYSQL_URL) or on the embedded PostgreSQL tables (server/state/state-db.ts).
 */
import { randomUUID } from 'node:crypto';
import { sqlOf, type StateDb, type StateRow } from '../state/state-db.js';

type RowDataPacket = StateRow;

export interface AuthUser {
  readonly id: string;
  readonly username: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly role: string;
  readonly status: string;
  readonly mfaEnabled: boolean;
  readonly mfaSecret?: string;
  readonly failedLoginAttempts: number;
  /** Seconds the account stays locked (0 when not locked). */
  readonly lockedForSeconds: number;
  readonly permissions: unknown;
}

export interface UserRows {
  findByLogin(login: string): Promise<AuthUser | undefined>;
  findById(id: string): Promise<AuthUser | undefined>;
  recordAttempt(a: { email: string; ipAddress?: string; success: boolean; reason?: string }): Promise<void>;
  /** Failed attempts from this address in the last `seconds` (any account, known or not). */
  recentFailuresFromIp(ipAddress: string, seconds: number): Promise<number>;
  /**
   * One atomic statement: when the account is not locked, counts an attempt as a failure (a lock that has expired
   * starts the count again) and locks the account for `lockSeconds` when the count reaches `maxFailures`; true when
   * the attempt may go on (the password is then checked; registerSuccess gives the slot back). False when locked
   * or unknown.
   */
  reserveAttempt(userId: string, maxFailures: number, lockSeconds: number): Promise<boolean>;
  /**
   * A correct sign-in gives the failure count back (count 0, last_login now), but only while the account is not
   * locked: when parallel failures locked it while this password was being checked, nothing changes and the answer
   * is false (the sign-in is refused as locked; a lock is never lifted by a success that raced it).
   */
  registerSuccess(userId: string): Promise<boolean>;
}

function toUser(r: RowDataPacket): AuthUser {
  let permissions: unknown = r.permissions;
  if (typeof permissions === 'string') {
    try {
      permissions = JSON.parse(permissions);
    } catch {
      permissions = undefined;
    }
  }
  return {
    id: String(r.id),
    username: String(r.username ?? ''),
    email: String(r.email ?? ''),
    passwordHash: String(r.password_hash ?? ''),
    ...(r.first_name ? { firstName: String(r.first_name) } : {}),
    ...(r.last_name ? { lastName: String(r.last_name) } : {}),
    role: String(r.role ?? ''),
    status: String(r.status ?? ''),
    mfaEnabled: Boolean(r.mfa_enabled),
    ...(r.mfa_secret ? { mfaSecret: String(r.mfa_secret) } : {}),
    failedLoginAttempts: Number(r.failed_login_attempts ?? 0),
    lockedForSeconds: Math.max(0, Number(r.locked_for ?? 0)),
    permissions,
  };
}

export function userRows(db: StateDb): UserRows {
  const sql = sqlOf(db.dialect);
  const COLUMNS = `id, username, email, password_hash, first_name, last_name, role, status, mfa_enabled, mfa_secret,
  failed_login_attempts, permissions,
  CASE WHEN locked_until > ${sql.now} THEN ${sql.secondsUntil('locked_until')} ELSE 0 END AS locked_for`;
  return {
    async findByLogin(login) {
      const { rows } = await db.query(
        `SELECT ${COLUMNS} FROM auth_users WHERE (username = ? OR email = ?) AND deleted_at IS NULL LIMIT 2`,
        [login, login],
      );
      // A login that names two different accounts (one's username is another's email) is refused.
      return rows.length === 1 ? toUser(rows[0]!) : undefined;
    },
    async findById(id) {
      const { rows } = await db.query(`SELECT ${COLUMNS} FROM auth_users WHERE id = ? AND deleted_at IS NULL`, [id]);
      return rows[0] ? toUser(rows[0]) : undefined;
    },
    async recordAttempt({ email, ipAddress, success, reason }) {
      await db.query(
        `INSERT INTO auth_login_attempts (id, email, ip_address, success, reason, timestamp) VALUES (?, ?, ?, ?, ?, ${sql.now})`,
        [
          randomUUID(),
          email.slice(0, 255),
          ipAddress?.slice(0, 45) ?? null,
          success ? 1 : 0,
          reason?.slice(0, 255) ?? null,
        ],
      );
    },
    async recentFailuresFromIp(ipAddress, seconds) {
      const { rows } = await db.query(
        `SELECT COUNT(*) AS n FROM auth_login_attempts WHERE ip_address = ? AND success = 0 AND ${sql.quote('timestamp')} > ${sql.nowMinusSeconds}`,
        [ipAddress.slice(0, 45), seconds],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async reserveAttempt(userId, maxFailures, lockSeconds) {
      // MySQL applies SET assignments left to right (locked_until sees the new count); PostgreSQL reads the old row
      // in every assignment, so its locked_until computes the new count itself.
      const res =
        db.dialect === 'mysql'
          ? await db.query(
              `UPDATE auth_users SET
           failed_login_attempts = IF(locked_until IS NOT NULL, 0, failed_login_attempts) + 1,
           locked_until = IF(failed_login_attempts >= ?, UTC_TIMESTAMP() + INTERVAL ? SECOND, NULL)
         WHERE id = ? AND deleted_at IS NULL AND (locked_until IS NULL OR locked_until <= UTC_TIMESTAMP())`,
              [maxFailures, lockSeconds, userId],
            )
          : await db.query(
              `UPDATE auth_users SET
           failed_login_attempts = CASE WHEN locked_until IS NOT NULL THEN 0 ELSE failed_login_attempts END + 1,
           locked_until = CASE WHEN CASE WHEN locked_until IS NOT NULL THEN 0 ELSE failed_login_attempts END + 1 >= ?
             THEN ${sql.nowPlusSeconds} ELSE NULL END
         WHERE id = ? AND deleted_at IS NULL AND (locked_until IS NULL OR locked_until <= ${sql.now})`,
              [maxFailures, lockSeconds, userId],
            );
      return res.affectedRows === 1;
    },
    async registerSuccess(userId) {
      const res = await db.query(
        `UPDATE auth_users SET failed_login_attempts = 0, locked_until = NULL, last_login = ${sql.now}
         WHERE id = ? AND (locked_until IS NULL OR locked_until <= ${sql.now})`,
        [userId],
      );
      if (res.affectedRows === 1) return true;
      // MySQL counts changed rows, not matched ones: a second success in the same second changes nothing. Ask.
      const { rows } = await db.query(`SELECT 1 AS locked FROM auth_users WHERE id = ? AND locked_until > ${sql.now}`, [
        userId,
      ]);
      return rows.length === 0;
    },
  };
}
