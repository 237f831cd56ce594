import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planConsent } from './consent-plan.js';
import { resourceServerScope } from './oidc-config.js';

const CLIENT = 'patient/*.cruds user/*.cruds';

describe('planConsent', () => {
  it('standalone patient: the patient context is the user themself, resource scopes capped at read/search', () => {
    const r = planConsent({
      requestedScope: 'launch/patient openid patient/Observation.cruds',
      clientScope: CLIENT,
      role: 'patient',
      fhirUser: 'Patient/p1',
    });
    assert.ok(r.ok);
    assert.equal(r.plan.patient, 'p1');
    assert.equal(r.plan.askPatient, false);
    assert.equal(r.plan.needPatientBanner, true);
    assert.deepEqual([...r.plan.offered], ['launch/patient', 'openid', 'patient/Observation.rs']);
  });

  it('standalone clinician asking for launch/patient is asked to pick a patient', () => {
    const r = planConsent({
      requestedScope: 'launch/patient patient/*.rs',
      clientScope: CLIENT,
      role: 'doctor',
      fhirUser: 'Practitioner/d1',
    });
    assert.ok(r.ok);
    assert.equal(r.plan.patient, undefined);
    assert.equal(r.plan.askPatient, true);
  });

  it('EHR launch carries patient and encounter; no banner needed', () => {
    const r = planConsent({
      requestedScope: 'launch launch/encounter openid patient/*.rs',
      clientScope: CLIENT,
      role: 'nurse',
      fhirUser: 'Practitioner/n1',
      launchParam: 'L1',
      launch: { patient: 'p9', encounter: 'e3' },
    });
    assert.ok(r.ok);
    assert.equal(r.plan.patient, 'p9');
    assert.equal(r.plan.encounter, 'e3');
    assert.equal(r.plan.needPatientBanner, false);
    assert.ok(r.plan.offered.includes('launch') && r.plan.offered.includes('launch/encounter'));
  });

  it('a launch bound to one user cannot be completed by another', () => {
    const launch = { patient: 'p9', userId: 'u1' };
    assert.equal(
      planConsent({
        requestedScope: 'launch patient/*.rs',
        clientScope: CLIENT,
        role: 'doctor',
        fhirUser: 'Practitioner/d2',
        userId: 'u2',
        launchParam: 'L',
        launch,
      }).ok,
      false,
    );
    assert.equal(
      planConsent({
        requestedScope: 'launch patient/*.rs',
        clientScope: CLIENT,
        role: 'doctor',
        fhirUser: 'Practitioner/d1',
        userId: 'u1',
        launchParam: 'L',
        launch,
      }).ok,
      true,
    );
  });

  it('refuses an unknown launch and a patient launching into someone else', () => {
    assert.deepEqual(
      planConsent({
        requestedScope: 'launch',
        clientScope: CLIENT,
        role: 'doctor',
        fhirUser: 'Practitioner/d1',
        launchParam: 'nope',
      }).ok,
      false,
    );
    const r = planConsent({
      requestedScope: 'launch patient/*.rs',
      clientScope: CLIENT,
      role: 'patient',
      fhirUser: 'Patient/p1',
      launchParam: 'L',
      launch: { patient: 'p2' },
    });
    assert.equal(r.ok, false);
  });

  it('drops launch scopes without context, system scopes, and anything beyond the client registration', () => {
    const r = planConsent({
      requestedScope: 'launch launch/encounter system/*.rs user/Observation.rs user/Patient.rs',
      clientScope: 'user/Patient.rs',
      role: 'admin',
      fhirUser: 'Practitioner/a',
    });
    assert.ok(r.ok);
    assert.deepEqual([...r.plan.offered], ['user/Patient.rs']);
  });
});

describe('resourceServerScope', () => {
  it('keeps user/patient scopes the client may have for user flows, system scopes only for client_credentials', () => {
    assert.equal(
      resourceServerScope(
        ['openid patient/Observation.rs system/Patient.rs user/Patient.cruds'],
        'patient/*.rs user/Patient.rs',
        'authorization_code',
      ),
      'patient/Observation.rs',
    );
    assert.equal(
      resourceServerScope(['system/Patient.rs user/Patient.rs'], 'system/*.rs user/*.rs', 'client_credentials'),
      'system/Patient.rs',
    );
    assert.equal(
      resourceServerScope([undefined, 'patient/Patient.rs', 'patient/Patient.rs'], 'patient/*.rs', undefined),
      'patient/Patient.rs',
    );
    assert.equal(resourceServerScope(['patient/Patient.rs'], undefined, undefined), '');
  });

  it('patient/ scopes without launch/patient or a launch: flagged, so the consent page can say so (issue 26)', () => {
    const r = planConsent({
      requestedScope: 'openid patient/*.rs',
      clientScope: CLIENT,
      role: 'doctor',
      fhirUser: 'Practitioner/d1',
    });
    assert.ok(r.ok);
    assert.equal(r.plan.patientContextMissing, true);
    for (const requestedScope of ['launch/patient patient/*.rs', 'openid user/*.rs']) {
      const ok = planConsent({ requestedScope, clientScope: CLIENT, role: 'doctor', fhirUser: 'Practitioner/d1' });
      assert.ok(ok.ok);
      assert.equal(ok.plan.patientContextMissing, false, requestedScope);
    }
  });
});
