/**
 * nilecare_auth.auth_refresh_tokens: one row per refresh token issued. The token itself is never stored,
 * only its SHA-256 (column `token`), so a database dump does not hand out live tokens.
 */
import { createHash, randomUUID } from 'node:crypto';
import { sqlOf, type StateDb } from '../state/state-db.js';

export interface RefreshTokenRows {
  insert(row: { token: string; userId?: string; expiresAt: Date; ipAddress?: string }): Promise<void>;
  isActive(token: string): Promise<boolean>;
  revoke(token: string): Promise<void>;
  /** Same, by the token's SHA-256 (hex), which is all Redis keeps of it. */
  revokeByHash(hash: string): Promise<void>;
  /** Revokes every refresh token of a user (e.g. on password change or by an administrator). Returns the count. */
  revokeAllForUser(userId: string): Promise<number>;
}

export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

export function refreshTokenRows(db: StateDb): RefreshTokenRows {
  const sql = sqlOf(db.dialect);
  return {
    async insert({ token, userId, expiresAt, ipAddress }) {
      await db.query(
        `INSERT INTO auth_refresh_tokens (id, token, user_id, expires_at, is_revoked, ip_address, created_at)
         VALUES (?, ?, ?, ?, 0, ?, ${sql.now})
         ${db.dialect === 'mysql' ? 'ON DUPLICATE KEY UPDATE expires_at = VALUES(expires_at)' : 'ON CONFLICT (token) DO UPDATE SET expires_at = EXCLUDED.expires_at'}`,
        [randomUUID(), tokenHash(token), userId ?? null, toMysql(expiresAt), ipAddress ?? null],
      );
    },
    async isActive(token) {
      const { rows } = await db.query(
        `SELECT 1 FROM auth_refresh_tokens WHERE token = ? AND is_revoked = 0 AND expires_at > ${sql.now}`,
        [tokenHash(token)],
      );
      return rows.length > 0;
    },
    async revoke(token) {
      await db.query(`UPDATE auth_refresh_tokens SET is_revoked = 1 WHERE token = ?`, [tokenHash(token)]);
    },
    async revokeByHash(hash) {
      await db.query(`UPDATE auth_refresh_tokens SET is_revoked = 1 WHERE token = ?`, [hash]);
    },
    async revokeAllForUser(userId) {
      const res = await db.query(`UPDATE auth_refresh_tokens SET is_revoked = 1 WHERE user_id = ? AND is_revoked = 0`, [
        userId,
      ]);
      return res.affectedRows;
    },
  };
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, as MySQL TIMESTAMP/DATETIME literals want. */
export function toMysql(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}
