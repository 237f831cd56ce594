/** Opaque keyset cursors: base64url JSON, checked on the way back in. */
import { UnsupportedQueryError } from '../resource-store.js';

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Decodes a cursor made by encodeCursor; `check` narrows it, anything else is a 400. */
export function decodeCursor<T>(cursor: string, check: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new UnsupportedQueryError(
      'The paging cursor is not valid (it may come from another search or an older server)',
    );
  }
  if (!check(value)) throw new UnsupportedQueryError('The paging cursor is not valid for this request');
  return value;
}
