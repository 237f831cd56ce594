/**
 * Websocket binding tokens (table websocket_binding_tokens): `$get-ws-binding-token` issues one for subscriptions of
 * the caller; the websocket hub redeems it on `bind-with-token`. A token is 32 random bytes (base64url), kept only as
 * its SHA-256, valid until `expiresAt` (SUBSCRIPTION_WS_BINDING_TOKEN_SECONDS, default 120), and good for nothing but
 * binding the subscriptions it names: it is not an access token (the REST API and `bearer` do not accept it).
 * Redeeming does not consume it (a client that lost its socket may bind again until it expires).
 *
 * A binding token dies with the access token it was issued to: the row keeps that Authorization header sealed
 * (AES-256-GCM) under a key derived from the binding token itself (HMAC-SHA256 with a label: the stored SHA-256
 * does not give it), so the database alone never holds a usable access token; on `bind-with-token` the hub opens it
 * and authenticates it again as any request would (signature, expiry, revocation, the grant), and binds nothing
 * when that fails.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import type { FeedTx } from '../../change-feed/feed-state.js';

export type BindingGrant = {
  subscriptionIds: string[];
  who: string;
  compartment?: string;
  /** The Authorization header the token was issued to (undefined: none was presented, authorisation off). */
  authorization?: string;
};

/** Seconds a binding token is valid by default (the IG leaves it to the server: long enough to open a socket). */
export const BINDING_TOKEN_SECONDS = 120;

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
const sealKey = (token: string) => createHmac('sha256', token).update('nilecare ws binding: authorization').digest();

/** iv (12 bytes) + tag (16) + ciphertext, base64url. */
function seal(token: string, text: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(token), iv);
  const sealed = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

function open(token: string, sealed: string): string | undefined {
  try {
    const raw = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', sealKey(token), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

export async function issueBindingToken(
  db: FeedTx,
  grant: BindingGrant,
  seconds = BINDING_TOKEN_SECONDS,
): Promise<{ token: string; expiresAt: string }> {
  const token = randomBytes(32).toString('base64url');
  await db.query(`DELETE FROM websocket_binding_tokens WHERE expires_at < now()`);
  const rows = await db.query<{ expires_at: Date | string }>(
    `INSERT INTO websocket_binding_tokens
       (token_sha256, subscription_ids, owner_who, owner_compartment, owner_authorization, expires_at)
       VALUES (?, ?, ?, ?, ?, now() + make_interval(secs => ?)) RETURNING expires_at`,
    [
      sha256(token),
      JSON.stringify(grant.subscriptionIds),
      grant.who,
      grant.compartment ?? null,
      grant.authorization === undefined ? null : seal(token, grant.authorization),
      seconds,
    ],
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
    owner_authorization: string | null;
  }>(
    `SELECT subscription_ids, owner_who, owner_compartment, owner_authorization FROM websocket_binding_tokens
       WHERE token_sha256 = ? AND expires_at > now()`,
    [sha256(token)],
  );
  const row = rows[0];
  if (!row) return undefined;
  const authorization = row.owner_authorization === null ? undefined : open(token, row.owner_authorization);
  if (row.owner_authorization !== null && authorization === undefined) return undefined; // cannot be: altered row
  const ids: unknown =
    typeof row.subscription_ids === 'string' ? JSON.parse(row.subscription_ids) : row.subscription_ids;
  return {
    subscriptionIds: ids as string[],
    who: row.owner_who,
    ...(row.owner_compartment ? { compartment: row.owner_compartment } : {}),
    ...(authorization !== undefined ? { authorization } : {}),
  };
}
