import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classify, fhirAccessAudit } from './fhir-access-audit.js';
import { policyFromScopes } from './scope-policy.js';

describe('fhirAccessAudit', () => {
  it('classifies every REST interaction from method and path', () => {
    const c = (m: string, p: string, body?: unknown) => {
      const t = classify(m, p.split('/').filter(Boolean), body);
      return t ? [t.interaction, t.resourceType, t.id, t.operation].filter(Boolean).join(' ') : undefined;
    };
    assert.equal(c('GET', 'Patient/1'), 'read Patient 1');
    assert.equal(c('GET', 'Patient/1/_history/2'), 'vread Patient 1');
    assert.equal(c('GET', 'Patient/1/_history'), 'history Patient 1');
    assert.equal(c('GET', 'Patient/_history'), 'history Patient');
    assert.equal(c('GET', '_history'), 'history');
    assert.equal(c('GET', 'Observation'), 'search Observation');
    assert.equal(c('POST', 'Observation/_search'), 'search Observation');
    assert.equal(c('POST', 'Observation'), 'create Observation');
    assert.equal(c('PUT', 'Observation/9'), 'update Observation 9');
    assert.equal(c('PATCH', 'Observation/9'), 'patch Observation 9');
    assert.equal(c('DELETE', 'Observation/9'), 'delete Observation 9');
    assert.equal(c('DELETE', 'Observation'), 'delete Observation');
    assert.equal(c('GET', 'Patient/1/$everything'), 'operation Patient 1 $everything');
    assert.equal(c('GET', '$export'), 'operation $export');
    assert.equal(c('POST', '', { type: 'transaction' }), 'operation transaction');
    assert.equal(c('GET', 'Patient/1/Observation'), 'search Observation Patient/1/Observation');
    assert.equal(c('GET', 'metadata'), undefined);
    assert.equal(c('GET', 'not-a-type/1'), undefined);
  });

  it('records who, what, the query, where from and the outcome; leaves 401s to authenticate', () => {
    const policy = policyFromScopes({ scope: 'patient/*.rs', patient: 'p1', clientId: 'app', sub: 'u1' });
    const a = fhirAccessAudit({
      interaction: {
        method: 'GET',
        segments: ['Observation'],
        params: [
          ['code', 'x'],
          ['_count', '5'],
        ],
      },
      status: 200,
      access: policy,
      ip: '10.0.0.1',
    });
    assert.equal(a?.action, 'search');
    assert.equal(a?.outcome, 'success');
    assert.equal(a?.query, 'code=x&_count=5');
    assert.equal(a?.policy, policy);
    assert.equal(a?.ip, '10.0.0.1');
    assert.equal(
      fhirAccessAudit({ interaction: { method: 'GET', segments: ['Patient', 'p2'] }, status: 403, access: policy })
        ?.outcome,
      'denied',
    );
    assert.equal(
      fhirAccessAudit({ interaction: { method: 'GET', segments: ['Patient', 'p2'] }, status: 404, access: policy })
        ?.outcome,
      'failure',
    );
    assert.equal(
      fhirAccessAudit({ interaction: { method: 'GET', segments: ['Patient', 'p2'] }, status: 401 }),
      undefined,
    );
  });
});
