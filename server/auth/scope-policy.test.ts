import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { policyFromScopes } from './scope-policy.js';

describe('policyFromScopes', () => {
  it('a patient-context token is confined to its patient and may only do what its scopes say', () => {
    const pol = policyFromScopes({
      scope: 'launch/patient openid patient/Observation.rs patient/Patient.read',
      patient: 'p1',
      clientId: 'app',
    });
    assert.equal(pol.compartment, 'Patient/p1');
    assert.ok(pol.allows('read', 'Observation'));
    assert.ok(pol.allows('search', 'Observation'));
    assert.ok(pol.allows('history', 'Patient'));
    assert.ok(!pol.allows('create', 'Observation'));
    assert.ok(!pol.allows('update', 'Patient'));
    assert.ok(!pol.allows('read', 'Condition'));
    assert.ok(!pol.allows('delete', 'Patient'));
  });

  it('patient scopes without a patient in context grant nothing (fail closed)', () => {
    const pol = policyFromScopes({ scope: 'patient/*.cruds', clientId: 'app' });
    assert.equal(pol.compartment, undefined);
    assert.ok(!pol.allows('read', 'Patient'));
    assert.ok(!pol.allows('search', 'Observation'));
  });

  it('an unsafe patient id is not used as a compartment', () => {
    const pol = policyFromScopes({ scope: 'patient/*.rs', patient: '../Patient?_id=x', clientId: 'app' });
    assert.equal(pol.compartment, undefined);
    assert.ok(!pol.allows('read', 'Patient'));
  });

  it('user scopes have no compartment unless patient scopes are also present', () => {
    const u = policyFromScopes({
      scope: 'user/*.rs user/Observation.c',
      fhirUser: 'Practitioner/d1',
      clientId: 'ehr',
      sub: 'u1',
    });
    assert.equal(u.compartment, undefined);
    assert.ok(u.allows('search', 'Encounter'));
    assert.ok(u.allows('create', 'Observation'));
    assert.ok(!u.allows('create', 'Encounter'));
    assert.ok(!u.allows('patch', 'Observation'));
    assert.equal(u.who, 'Practitioner/d1 via client:ehr');
    const mixed = policyFromScopes({ scope: 'user/*.rs patient/Observation.rs', patient: 'p9', clientId: 'ehr' });
    assert.equal(mixed.compartment, 'Patient/p9');
  });

  it('system scopes from a backend client', () => {
    const s = policyFromScopes({ scope: 'system/Patient.rs system/Observation.r', clientId: 'bulk', sub: 'bulk' });
    assert.equal(s.who, 'client:bulk');
    assert.ok(s.allows('search', 'Patient'));
    assert.ok(s.allows('operation', 'Observation'));
    assert.ok(!s.allows('search', 'Observation'));
    assert.ok(!s.allows('update', 'Patient'));
  });

  it('v2 constraints narrow reads of a type; an unconstrained grant lifts them', () => {
    const c = policyFromScopes({
      scope:
        'patient/Observation.rs?category=laboratory patient/Observation.rs?category=vital-signs patient/Patient.rs',
      patient: 'p1',
    });
    assert.deepEqual(c.constraints('Observation'), [{ category: 'laboratory' }, { category: 'vital-signs' }]);
    assert.equal(c.constraints('Patient'), undefined);
    assert.ok(c.allows('search', 'Observation'));
    const lifted = policyFromScopes({
      scope: 'patient/Observation.rs?category=laboratory patient/*.rs',
      patient: 'p1',
    });
    assert.equal(lifted.constraints('Observation'), undefined);
  });

  it('an empty scope grants nothing', () => {
    const pol = policyFromScopes({ scope: '' });
    for (const i of [
      'read',
      'vread',
      'search',
      'history',
      'create',
      'update',
      'patch',
      'delete',
      'operation',
    ] as const) {
      assert.ok(!pol.allows(i, 'Patient'), i);
    }
  });

  it('explains a denial caused by patient/ scopes without a patient context, and only that one', () => {
    const noContext = policyFromScopes({ scope: 'openid patient/*.rs', clientId: 'app' });
    assert.equal(noContext.allows('read', 'Patient'), false);
    assert.match(
      noContext.explainDenial!('read', 'Patient')!,
      /patient\/ scopes need a patient context.*launch\/patient/,
    );
    assert.equal(noContext.explainDenial!('update', 'Patient'), undefined, 'no scope would allow a write anyway');
    const withContext = policyFromScopes({ scope: 'patient/Observation.rs', patient: 'p1' });
    assert.equal(withContext.explainDenial!('read', 'Condition'), undefined);
  });
});
