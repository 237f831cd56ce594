import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { guardAllows, pathGuard, rootNames } from './root-guard.js';

describe('root guards', () => {
  it('name the top-level elements a plain path expression starts from', () => {
    assert.deepEqual(
      pathGuard('Observation', '(Observation.value.ofType(Quantity)) | (Observation.value.ofType(SampledData))'),
      { any: ['value'] },
    );
    assert.deepEqual(pathGuard('Observation', 'Observation.code | Observation.component.code'), {
      any: ['code', 'component'],
    });
    assert.deepEqual(pathGuard('Patient', 'Patient.name | Practitioner.name'), { any: ['name'] });
  });

  it('give no guard when absent elements can still produce a value', () => {
    assert.equal(pathGuard('Patient', 'Patient.deceased.exists() and Patient.deceased != false'), undefined);
    assert.equal(pathGuard('MolecularSequence', '%resource.referenceSeq.chromosome'), undefined);
    assert.equal(pathGuard('Observation', 'Observation'), undefined);
  });

  it('match choice elements by their base name', () => {
    const names = rootNames({ resourceType: 'Observation', valueQuantity: {}, multipleBirthInteger: 2 });
    assert.ok(guardAllows({ any: ['value'] }, names));
    assert.ok(guardAllows({ any: ['multipleBirth'] }, names));
    assert.ok(!guardAllows({ any: ['code'] }, names));
    assert.ok(!guardAllows({ all: ['value', 'code'] }, names));
    assert.ok(guardAllows(undefined, names));
  });
});
