/**
 * Websocket binding tokens (table websocket_binding_tokens): `$get-ws-binding-token` issues one for subscriptions of
 * the caller; the websocket hub redeems it on `bind-with-token`. A token is 32 random bytes (base64url), kept only as
 * its SHA-256, valid until `expiresAt`, and good for nothing but binding the subscriptions it names: it is not an
 * access token (the REST API and `bearer` do not accept it). Redeeming does not consume it (a client that lost its
 * socket may bind again until it expires).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FeedTx } from '../../change-feed/feed-state.js';

export type BindingGrant = { subscriptionIds: string[]; who: string; compartment?: string };

/** Seconds a binding token is valid (the IG leaves it to the server: long enough to open a socket). */
export const BINDING_TOKEN_SECONDS = 120;

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

export async function issueBindingToken(
  db: FeedTx,
  grant: BindingGrant,
  seconds = BINDING_TOKEN_SECONDS,
): Promise<{ token: string; expiresAt: string }> {
  const token = randomBytes(32).toString('base64url');
  await db.query(`DELETE FROM websocket_binding_tokens WHERE expires_at < now()`);
  const rows = await db.query<{ expires_at: Date | string }>(
    `INSERT INTO websocket_binding_tokens (token_sha256, subscription_ids, owner_who, owner_compartment, expires_at)
       VALUES (?, ?, ?, ?, now() + make_interval(secs => ?)) RETURNING expires_at`,
    [sha256(token), JSON.stringify(grant.subscriptionIds), grant.who, grant.compartment ?? null, seconds],
  );
  return { token, expiresAt: new Date(rows[0]!.expires_at).toISOString() };
}

/** The grant of a token that is known and not expired, else undefined. */
export async function redeemBindingToken(db: FeedTx, token: string): Promise<BindingGrant | undefined> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return undefined;
  const rows = await db.query<{
    subscription_ids: string[] | string;
    owner_who: string;
    owner_compartment: string | null;
  }>(
    `SELECT subscription_ids, owner_who, owner_compartment FROM websocket_binding_tokens
       WHERE token_sha256 = ? AND expires_at > now()`,
    [sha256(token)],
  );
  const row = rows[0];
  if (!row) return undefined;
  const ids: unknown =
    typeof row.subscription_ids === 'string' ? JSON.parse(row.subscription_ids) : row.subscription_ids;
  return {
    subscriptionIds: ids as string[],
    who: row.owner_who,
    ...(row.owner_compartment ? { compartment: row.owner_compartment } : {}),
  };
}
