import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toAuditEvent, toAuditLogRow } from './audit-event.js';
import { policyFromScopes } from './scope-policy.js';

const at = new Date('2026-11-25T10:00:00Z');

describe('toAuditEvent / toAuditLogRow', () => {
  it('a successful read by a patient app: who, what, when, from where, outcome', () => {
    const policy = policyFromScopes({
      scope: 'patient/*.rs',
      patient: 'p1',
      fhirUser: 'Patient/p1',
      clientId: 'app',
      sub: 'u1',
    });
    const e = {
      action: 'read' as const,
      outcome: 'success' as const,
      policy,
      resourceType: 'Observation',
      resourceId: 'o1',
      ip: '10.1.2.3',
      at,
    };
    const ev = toAuditEvent(e);
    assert.equal(ev.resourceType, 'AuditEvent');
    assert.equal(ev.type.code, 'rest');
    assert.equal(ev.subtype?.[0]?.code, 'read');
    assert.equal(ev.action, 'R');
    assert.equal(ev.outcome, '0');
    assert.equal(ev.recorded, '2026-11-25T10:00:00.000Z');
    assert.equal(ev.agent[0]!.who?.reference, 'Patient/p1');
    assert.equal(ev.agent[0]!.altId, 'app');
    assert.equal(ev.agent[0]!.network?.address, '10.1.2.3');
    assert.equal(ev.entity?.[0]?.what?.reference, 'Observation/o1');
    assert.equal(ev.entity?.[0]?.detail?.[0]?.valueString, 'Patient/p1');
    const row = toAuditLogRow(e);
    assert.deepEqual(
      { userId: row.userId, action: row.action, resource: row.resource, result: row.result, ip: row.ipAddress },
      { userId: 'u1', action: 'fhir.read', resource: 'Observation/o1', result: 'success', ip: '10.1.2.3' },
    );
    assert.equal(row.metadata.client_id, 'app');
    assert.equal(row.metadata.compartment, 'Patient/p1');
  });

  it('a denial is outcome 4 and result failure with metadata.outcome denied; a search keeps its query', () => {
    const e = {
      action: 'search' as const,
      outcome: 'denied' as const,
      who: 'client:x',
      resourceType: 'Patient',
      query: 'name=smith',
      status: 403,
      detail: 'no scope',
      at,
    };
    const ev = toAuditEvent(e);
    assert.equal(ev.outcome, '4');
    assert.equal(ev.subtype?.[0]?.code, 'search-type');
    assert.equal(ev.outcomeDesc, 'HTTP 403: no scope');
    assert.equal(Buffer.from(ev.entity![0]!.query!, 'base64').toString(), 'name=smith');
    assert.equal(ev.agent[0]!.who?.display, 'client:x');
    const row = toAuditLogRow(e);
    assert.equal(row.result, 'failure');
    assert.equal(row.metadata.outcome, 'denied');
    assert.equal(row.userId, null);
  });

  it('login events use the DICOM user-authentication type and fit the column sizes', () => {
    const e = {
      action: 'login' as const,
      outcome: 'failure' as const,
      who: 'x'.repeat(300),
      ip: '1'.repeat(80),
      operation: '$op'.repeat(60),
      at,
    };
    assert.equal(toAuditEvent(e).type.code, '110114');
    assert.equal(toAuditEvent(e).action, 'E');
    const row = toAuditLogRow(e);
    assert.equal(row.action, 'auth.login');
    assert.ok(row.ipAddress!.length <= 45);
    assert.ok(row.resource!.length <= 100);
  });
});
