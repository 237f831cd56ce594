import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { narrowScopes, parseResourceScope, parseScopes, scopeCovers } from './scopes.js';
import { applyRoleCeiling } from './role-scopes.js';

const p = (s: string) => {
  const r = parseResourceScope(s);
  assert.ok(r, `expected ${s} to parse`);
  return r;
};

describe('parseResourceScope', () => {
  it('reads SMART v1 read/write/* as v2 letters', () => {
    assert.deepEqual(p('patient/Observation.read').actions, ['r', 's']);
    assert.deepEqual(p('user/Patient.write').actions, ['c', 'u', 'd']);
    assert.deepEqual(p('user/*.*').actions, ['c', 'r', 'u', 'd', 's']);
    assert.equal(p('user/*.*').resourceType, '*');
    assert.equal(p('patient/Observation.read').version, 1);
  });

  it('reads SMART v2 letter sets in cruds order', () => {
    assert.deepEqual(p('patient/Observation.rs').actions, ['r', 's']);
    assert.deepEqual(p('user/*.cruds').actions, ['c', 'r', 'u', 'd', 's']);
    assert.deepEqual(p('system/Patient.r').actions, ['r']);
    assert.deepEqual(p('user/Encounter.cud').actions, ['c', 'u', 'd']);
    assert.equal(p('system/Patient.r').context, 'system');
    assert.equal(p('system/Patient.r').version, 2);
  });

  it('rejects letters out of order, repeated, unknown, or empty', () => {
    for (const bad of [
      'patient/Observation.sr',
      'patient/Observation.rr',
      'patient/Observation.rx',
      'patient/Observation.',
      'patient/Observation.crudsx',
    ]) {
      assert.equal(parseResourceScope(bad), undefined, bad);
    }
  });

  it('rejects unknown contexts, lower-case or malformed types, and missing parts', () => {
    for (const bad of [
      'admin/Patient.r',
      'patient/observation.rs',
      'patient/Obs-ervation.rs',
      'patient.rs',
      'patient/',
      'Patient.read',
      '/Patient.r',
      'patient/Patient',
    ]) {
      assert.equal(parseResourceScope(bad), undefined, bad);
    }
  });

  it('parses v2 search constraints, decoding values', () => {
    const s = p(
      'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory&status=final',
    );
    assert.deepEqual(s.constraints, {
      category: 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory',
      status: 'final',
    });
    assert.deepEqual(p('patient/Observation.rs?code=a%20b').constraints, { code: 'a b' });
  });

  it('rejects constraints on v1 scopes and malformed constraint strings', () => {
    for (const bad of [
      'patient/Observation.read?category=lab',
      'patient/Observation.rs?',
      'patient/Observation.rs?=x',
      'patient/Observation.rs?category=',
      'patient/Observation.rs?category=a&category=b',
      'patient/Observation.rs?cat egory=x',
      'patient/Observation.rs?c=%E0%A4%A',
    ]) {
      assert.equal(parseResourceScope(bad), undefined, bad);
    }
  });
});

describe('parseScopes', () => {
  it('splits OIDC/launch scopes from resource scopes and keeps unknown ones aside', () => {
    const r = parseScopes(
      'openid fhirUser launch/patient offline_access patient/Observation.rs  patient/Patient.read weird/Thing.r',
    );
    assert.deepEqual([...r.other].sort(), ['fhirUser', 'launch/patient', 'offline_access', 'openid']);
    assert.deepEqual(
      r.resource.map((s) => s.text),
      ['patient/Observation.rs', 'patient/Patient.read'],
    );
    assert.deepEqual(r.unknown, ['weird/Thing.r']);
  });

  it('handles an empty or missing scope and duplicates', () => {
    assert.equal(parseScopes(undefined).resource.length, 0);
    assert.equal(parseScopes('').other.size, 0);
    assert.equal(parseScopes('user/*.rs user/*.rs').resource.length, 1);
  });
});

describe('scopeCovers / narrowScopes', () => {
  it('a wildcard covers a specific type; fewer letters never cover more', () => {
    assert.ok(scopeCovers(p('user/*.cruds'), p('user/Patient.rs')));
    assert.ok(!scopeCovers(p('user/Patient.rs'), p('user/Patient.cruds')));
    assert.ok(!scopeCovers(p('user/*.cruds'), p('patient/Patient.r')));
  });

  it('a constrained grant covers only requests with the same constraint', () => {
    const g = p('patient/Observation.rs?category=laboratory');
    assert.ok(scopeCovers(g, p('patient/Observation.rs?category=laboratory')));
    assert.ok(scopeCovers(g, p('patient/Observation.r?category=laboratory&status=final')));
    assert.ok(!scopeCovers(g, p('patient/Observation.rs')));
    assert.ok(!scopeCovers(g, p('patient/Observation.rs?category=vital-signs')));
  });

  it('narrows to the intersection of actions and carries the ceiling constraint', () => {
    const out = narrowScopes(
      [p('user/Observation.cruds'), p('user/Patient.rs')],
      [p('user/*.rs'), p('user/Observation.c')],
    );
    assert.deepEqual(out.map((s) => s.text).sort(), ['user/Observation.c', 'user/Observation.rs', 'user/Patient.rs']);
    const c = narrowScopes([p('patient/Observation.rs')], [p('patient/Observation.rs?category=laboratory')]);
    assert.deepEqual(
      c.map((s) => s.text),
      ['patient/Observation.rs?category=laboratory'],
    );
  });

  it('a wildcard request under a typed ceiling becomes the ceiling types', () => {
    const out = narrowScopes([p('user/*.cruds')], [p('user/Patient.rs'), p('user/Appointment.cruds')]);
    assert.deepEqual(out.map((s) => s.text).sort(), ['user/Appointment.cruds', 'user/Patient.rs']);
  });

  it('drops scopes with contradictory constraints or of another context', () => {
    assert.deepEqual(
      narrowScopes([p('patient/Observation.rs?category=a')], [p('patient/Observation.rs?category=b')]),
      [],
    );
    assert.deepEqual(narrowScopes([p('system/Patient.r')], [p('user/*.cruds')]), []);
  });
});

describe('applyRoleCeiling', () => {
  it('gives a patient read/search of patient scopes only', () => {
    const out = applyRoleCeiling(
      'patient',
      parseScopes('patient/*.cruds user/*.cruds patient/Observation.rs').resource,
    );
    assert.deepEqual(out.map((s) => s.text).sort(), ['patient/*.rs', 'patient/Observation.rs']);
  });

  it('keeps a receptionist away from clinical data and lets a doctor have everything requested', () => {
    const rec = applyRoleCeiling('receptionist', parseScopes('user/Observation.rs user/Patient.cruds').resource);
    assert.deepEqual(
      rec.map((s) => s.text),
      ['user/Patient.cruds'],
    );
    const doc = applyRoleCeiling('doctor', parseScopes('user/Observation.rs user/Patient.cruds').resource);
    assert.equal(doc.length, 2);
  });

  it('lets a nurse write observations but not delete them, and gives unknown roles nothing', () => {
    const n = applyRoleCeiling('nurse', parseScopes('user/Observation.cruds').resource);
    assert.deepEqual(n.map((s) => s.text).sort(), ['user/Observation.cu', 'user/Observation.rs']);
    assert.deepEqual(applyRoleCeiling('janitor', parseScopes('user/*.cruds').resource), []);
  });
});
