/**
 * Ids of auth_audit_logs rows: UUID version 7 (RFC 9562), time-ordered, so that the primary key — one row per audited
 * request — grows at its right edge instead of touching a random page of a large index per row (random version-4
 * ids cost a page read, a page split now and then and, after each checkpoint, a full-page image in the WAL per page
 * touched). Still a UUID in VARCHAR(50), as the schema reference's `id VARCHAR(50)` and the rows written before.
 *
 * Layout: 48 bits of Unix milliseconds, version 7, 12 bits of a counter (rand_a, RFC 9562 §6.2 method 1), variant,
 * 62 random bits. Within this process the ids strictly increase, also as text (lower-case hex at fixed positions
 * sorts as the numbers do, in C and in case-insensitive collations alike): the counter orders ids of the same
 * millisecond, and a clock that steps back keeps the last millisecond.
 */
import { randomUUID } from 'node:crypto';

let lastMs = 0;
let counter = 0;

export function auditLogId(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter > 0xfff) {
    lastMs++; // 4,096 ids in one millisecond: borrow the next one
    counter = 0;
  }
  const ms = lastMs.toString(16).padStart(12, '0');
  // the random part (with its variant bits) of a version-4 UUID: `-yxxx-xxxxxxxxxxxx`
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${counter.toString(16).padStart(3, '0')}${randomUUID().slice(18)}`;
}
