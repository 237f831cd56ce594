/**
 * Opaque paging cursors: base64url JSON holding the direction, the boundary row's sort values and
 * type, and a hash of the query it belongs to (a cursor replayed against another query is refused).
 */
import { createHash } from 'node:crypto';
import { UnsupportedQueryError } from '../resource-store.js';
import type { KeyValue } from './keyset.js';

export type CursorPayload = {
  /** next: rows after the boundary; prev: rows before it. */
  d: 'next' | 'prev';
  /** Boundary row values, one per sort field. */
  k: KeyValue[];
  /** Boundary row resource type (tie-break across collections). */
  t: string;
  /** Include the boundary row itself. */
  i?: true;
  /** Query hash. */
  q: string;
};

export function queryHash(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

export function encodeCursor(payload: CursorPayload): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeCursor(text: string, expectedHash: string): CursorPayload {
  let payload: CursorPayload;
  try {
    payload = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as CursorPayload;
  } catch {
    throw new UnsupportedQueryError('the paging cursor is not valid');
  }
  const valid =
    payload !== null &&
    typeof payload === 'object' &&
    (payload.d === 'next' || payload.d === 'prev') &&
    Array.isArray(payload.k) &&
    payload.k.every((v) => v === null || typeof v === 'number' || typeof v === 'string') &&
    typeof payload.t === 'string' &&
    typeof payload.q === 'string';
  if (!valid) throw new UnsupportedQueryError('the paging cursor is not valid');
  if (payload.q !== expectedHash)
    throw new UnsupportedQueryError('the paging cursor belongs to a different search; start again from the first page');
  return payload;
}
