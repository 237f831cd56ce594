import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { auditLogId } from './audit-log-id.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('auditLogId', () => {
  it('is a version-7 UUID whose first 48 bits are the milliseconds', () => {
    const at = Date.parse('2026-12-07T13:00:00Z') + 7e9; // later than any id this process made before
    const id = auditLogId(at);
    assert.match(id, UUID_V7);
    assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), at);
  });

  it('strictly increases as text within a millisecond, past 4,096 ids in one, and when the clock steps back', () => {
    const at = Date.parse('2026-12-07T13:00:00Z') + 8e9;
    const ids = [
      ...Array.from({ length: 5000 }, () => auditLogId(at)),
      auditLogId(at - 60_000), // the clock stepped back a minute
      auditLogId(at + 5),
    ];
    for (const id of ids) assert.match(id, UUID_V7);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]} (${i})`);
    assert.equal(new Set(ids).size, ids.length);
  });
});
