/**
 * FHIRPath Patch: the examples of the FHIR spec's FHIRPath Patch page (add a primitive, add an anonymous
 * element from parts) and the cases of HL7's FHIRPath Patch test suite (fhir-test-cases patch/fhir-path-tests.xml,
 * written here in JSON), plus the errors a client gets for bad patches.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Parameters, ParametersParameter, Patient, Resource } from '@medplum/fhirtypes';
import { applyFhirPathPatch } from './fhirpath-patch.js';
import { FhirError } from '../errors.js';

type Op = {
  type: string;
  path: string;
  name?: string;
  index?: number;
  source?: number;
  destination?: number;
  value?: Omit<ParametersParameter, 'name'>;
};

function patch(...ops: Op[]): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: ops.map((op) => {
      const part: ParametersParameter[] = [
        { name: 'type', valueCode: op.type },
        { name: 'path', valueString: op.path },
      ];
      if (op.name !== undefined) part.push({ name: 'name', valueString: op.name });
      if (op.index !== undefined) part.push({ name: 'index', valueInteger: op.index });
      if (op.source !== undefined) part.push({ name: 'source', valueInteger: op.source });
      if (op.destination !== undefined) part.push({ name: 'destination', valueInteger: op.destination });
      if (op.value !== undefined) part.push({ name: 'value', ...op.value });
      return { name: 'operation', part };
    }),
  };
}

const ids = (...values: string[]): Patient => ({
  resourceType: 'Patient',
  identifier: values.map((value) => ({ system: 'http://example.org', value })),
});

function rejects(resource: Resource, p: Parameters, message: RegExp): void {
  assert.throws(
    () => applyFhirPathPatch(resource, p),
    (err: unknown) => {
      assert.ok(err instanceof FhirError, `expected FhirError, got ${String(err)}`);
      assert.equal(err.status, 400);
      const issue = err.outcome.issue?.[0];
      assert.match(issue?.diagnostics ?? '', message);
      return true;
    },
  );
}

describe('FHIRPath Patch — spec page examples', () => {
  it('adds a primitive (Patient.birthDate)', () => {
    const out = applyFhirPathPatch(
      { resourceType: 'Patient' },
      patch({ type: 'add', path: 'Patient', name: 'birthDate', value: { valueDate: '1930-01-01' } }),
    );
    assert.deepEqual(out, { resourceType: 'Patient', birthDate: '1930-01-01' });
  });

  it('adds an anonymous element from parts (Patient.contact with a name)', () => {
    const out = applyFhirPathPatch(
      { resourceType: 'Patient' },
      patch({
        type: 'add',
        path: 'Patient',
        name: 'contact',
        value: { part: [{ name: 'name', valueHumanName: { text: 'a name' } }] },
      }),
    );
    assert.deepEqual(out, { resourceType: 'Patient', contact: [{ name: { text: 'a name' } }] });
  });
});

describe('FHIRPath Patch — HL7 test cases', () => {
  const born = (): Patient => ({ resourceType: 'Patient', birthDate: '1920-01-01' });
  const withContact = (): Patient => ({
    resourceType: 'Patient',
    contact: [{ name: { text: 'a name' }, gender: 'male' }],
  });

  it('No Difference: an empty patch changes nothing', () => {
    assert.deepEqual(applyFhirPathPatch(born(), { resourceType: 'Parameters' }), born());
  });
  it('Replace Primitive', () => {
    assert.deepEqual(
      applyFhirPathPatch(
        born(),
        patch({ type: 'replace', path: 'Patient.birthDate', value: { valueDate: '1930-01-01' } }),
      ),
      {
        resourceType: 'Patient',
        birthDate: '1930-01-01',
      },
    );
  });
  it('Delete Primitive', () => {
    assert.deepEqual(applyFhirPathPatch(born(), patch({ type: 'delete', path: 'Patient.birthDate' })), {
      resourceType: 'Patient',
    });
  });
  it('Replace Nested Primitive #1 and #2', () => {
    const a = applyFhirPathPatch(
      withContact(),
      patch({ type: 'replace', path: 'Patient.contact[0].gender', value: { valueCode: 'female' } }),
    );
    assert.deepEqual(a, { resourceType: 'Patient', contact: [{ name: { text: 'a name' }, gender: 'female' }] });
    const b = applyFhirPathPatch(
      withContact(),
      patch({ type: 'replace', path: 'Patient.contact[0].name.text', value: { valueString: 'the name' } }),
    );
    assert.deepEqual(b, { resourceType: 'Patient', contact: [{ name: { text: 'the name' }, gender: 'male' }] });
  });
  it('Delete Nested Primitive #1 and #2 (the emptied name disappears)', () => {
    const a = applyFhirPathPatch(withContact(), patch({ type: 'delete', path: 'Patient.contact[0].gender' }));
    assert.deepEqual(a, { resourceType: 'Patient', contact: [{ name: { text: 'a name' } }] });
    const b = applyFhirPathPatch(withContact(), patch({ type: 'delete', path: 'Patient.contact[0].name.text' }));
    assert.deepEqual(b, { resourceType: 'Patient', contact: [{ gender: 'male' }] });
  });
  it('Add Nested Primitive', () => {
    const out = applyFhirPathPatch(
      { resourceType: 'Patient', contact: [{ name: { text: 'a name' } }] },
      patch({ type: 'add', path: 'Patient.contact[0]', name: 'gender', value: { valueCode: 'male' } }),
    );
    assert.deepEqual(out, withContact());
  });
  it('Add, Replace and Delete Complex (maritalStatus)', () => {
    const added = applyFhirPathPatch(
      { resourceType: 'Patient' },
      patch({
        type: 'add',
        path: 'Patient',
        name: 'maritalStatus',
        value: { valueCodeableConcept: { text: 'married' } },
      }),
    );
    assert.deepEqual(added, { resourceType: 'Patient', maritalStatus: { text: 'married' } });
    const replaced = applyFhirPathPatch(
      { resourceType: 'Patient', maritalStatus: { id: '1', text: 'married' } },
      patch({
        type: 'replace',
        path: 'Patient.maritalStatus',
        value: { valueCodeableConcept: { id: '2', text: 'not married' } },
      }),
    );
    assert.deepEqual(replaced, { resourceType: 'Patient', maritalStatus: { id: '2', text: 'not married' } });
    assert.deepEqual(applyFhirPathPatch(added, patch({ type: 'delete', path: 'Patient.maritalStatus' })), {
      resourceType: 'Patient',
    });
  });
  it('Delete Anonymous Type', () => {
    const out = applyFhirPathPatch(
      { resourceType: 'Patient', contact: [{ name: { text: 'a name' } }] },
      patch({ type: 'delete', path: 'Patient.contact[0]' }),
    );
    assert.deepEqual(out, { resourceType: 'Patient' });
  });
  it('List unchanged, contents changed', () => {
    const input: Patient = {
      resourceType: 'Patient',
      identifier: [
        { id: 'a', value: 'value 1' },
        { id: 'b', value: 'value 2' },
      ],
    };
    const out = applyFhirPathPatch(
      input,
      patch(
        { type: 'replace', path: 'Patient.identifier[0].value', value: { valueString: 'value 2' } },
        { type: 'replace', path: 'Patient.identifier[1].value', value: { valueString: 'value 1' } },
      ),
    );
    assert.deepEqual(out, {
      resourceType: 'Patient',
      identifier: [
        { id: 'a', value: 'value 2' },
        { id: 'b', value: 'value 1' },
      ],
    });
  });
  it('Add to list / Insert in list #1 and #2', () => {
    const v3 = { valueIdentifier: { system: 'http://example.org', value: 'value 3' } };
    assert.deepEqual(
      applyFhirPathPatch(
        ids('value 1', 'value 2'),
        patch({ type: 'insert', path: 'Patient.identifier', index: 2, value: v3 }),
      ),
      ids('value 1', 'value 2', 'value 3'),
    );
    assert.deepEqual(
      applyFhirPathPatch(
        ids('value 1', 'value 2'),
        patch({ type: 'insert', path: 'Patient.identifier', index: 1, value: v3 }),
      ),
      ids('value 1', 'value 3', 'value 2'),
    );
    assert.deepEqual(
      applyFhirPathPatch(
        ids('value 1', 'value 2'),
        patch({ type: 'insert', path: 'Patient.identifier', index: 0, value: v3 }),
      ),
      ids('value 3', 'value 1', 'value 2'),
    );
  });
  it('Delete from List #1, #2 and #3', () => {
    const input = ids('value 1', 'value 2', 'value 3');
    assert.deepEqual(
      applyFhirPathPatch(input, patch({ type: 'delete', path: 'Patient.identifier[0]' })),
      ids('value 2', 'value 3'),
    );
    assert.deepEqual(
      applyFhirPathPatch(input, patch({ type: 'delete', path: 'Patient.identifier[1]' })),
      ids('value 1', 'value 3'),
    );
    assert.deepEqual(
      applyFhirPathPatch(input, patch({ type: 'delete', path: 'Patient.identifier[2]' })),
      ids('value 1', 'value 2'),
    );
    assert.deepEqual(input, ids('value 1', 'value 2', 'value 3'), 'the input resource is not modified');
  });
  it('Reorder List #1 to #6', () => {
    const four = () => ids('value 1', 'value 2', 'value 3', 'value 4');
    const mv = (source: number, destination: number): Op => ({
      type: 'move',
      path: 'Patient.identifier',
      source,
      destination,
    });
    assert.deepEqual(applyFhirPathPatch(four(), patch(mv(3, 1))), ids('value 1', 'value 4', 'value 2', 'value 3'));
    assert.deepEqual(applyFhirPathPatch(four(), patch(mv(3, 0))), ids('value 4', 'value 1', 'value 2', 'value 3'));
    assert.deepEqual(applyFhirPathPatch(four(), patch(mv(3, 2))), ids('value 1', 'value 2', 'value 4', 'value 3'));
    assert.deepEqual(applyFhirPathPatch(four(), patch(mv(0, 3))), ids('value 2', 'value 3', 'value 4', 'value 1'));
    assert.deepEqual(
      applyFhirPathPatch(four(), patch(mv(1, 0), mv(2, 1))),
      ids('value 2', 'value 3', 'value 1', 'value 4'),
    );
    assert.deepEqual(
      applyFhirPathPatch(four(), patch(mv(3, 0), mv(3, 1), mv(3, 2))),
      ids('value 4', 'value 3', 'value 2', 'value 1'),
    );
  });
  it('Operation on missing element: adding below a path that selects nothing is an error', () => {
    const input: Patient = { resourceType: 'Patient', identifier: [{ use: 'official', value: '123' }] };
    rejects(
      input,
      patch({
        type: 'add',
        path: "Patient.identifier.where(use = 'official').period",
        name: 'end',
        value: { valueDate: '2021-12-01' },
      }),
      /No content found at Patient\.identifier\.where\(use = 'official'\)\.period when adding/,
    );
  });
  it('Operation on missing element #2: add creates a repeating element as a list', () => {
    const out = applyFhirPathPatch(
      { resourceType: 'Patient' },
      patch({
        type: 'add',
        path: 'Patient',
        name: 'identifier',
        value: { valueIdentifier: { system: 'http://example.org', value: 'value 3' } },
      }),
    );
    assert.deepEqual(out, ids('value 3'));
  });
  it('Full Resource: replace the narrative and a family name', () => {
    const input: Patient = {
      resourceType: 'Patient',
      id: 'example',
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Peter James <b>Chalmers</b></div>' },
      name: [
        { use: 'official', family: 'Chalmers', given: ['Peter', 'James'] },
        { use: 'usual', given: ['Jim'] },
      ],
    };
    const div = '<div xmlns="http://www.w3.org/1999/xhtml">Peter James <b>Chalmers1</b></div>';
    const out = applyFhirPathPatch(
      input,
      patch(
        { type: 'replace', path: 'Patient.text.div', value: { valueString: div } },
        { type: 'replace', path: 'Patient.name[0].family', value: { valueString: 'Chalmers1' } },
      ),
    ) as Patient;
    assert.equal(out.text?.div, div);
    assert.equal(out.name?.[0]?.family, 'Chalmers1');
    assert.deepEqual(out.name?.[1], input.name?.[1]);
  });
});

describe('FHIRPath Patch — choice elements, primitives with extensions, anonymous parts', () => {
  it('adds and replaces a choice element by its base name', () => {
    const added = applyFhirPathPatch(
      { resourceType: 'Patient' },
      patch({ type: 'add', path: 'Patient', name: 'deceased', value: { valueBoolean: false } }),
    );
    assert.deepEqual(added, { resourceType: 'Patient', deceasedBoolean: false });
    const replaced = applyFhirPathPatch(
      added,
      patch({ type: 'replace', path: 'Patient.deceased', value: { valueDateTime: '2020-01-01' } }),
    );
    assert.deepEqual(replaced, { resourceType: 'Patient', deceasedDateTime: '2020-01-01' });
  });
  it('adds an Observation.component with a code and a choice value from parts', () => {
    const obs = { resourceType: 'Observation', status: 'final', code: { text: 'BP' } } as Resource;
    const out = applyFhirPathPatch(
      obs,
      patch({
        type: 'add',
        path: 'Observation',
        name: 'component',
        value: {
          part: [
            { name: 'code', valueCodeableConcept: { text: 'systolic' } },
            { name: 'value', valueQuantity: { value: 120, unit: 'mm[Hg]' } },
          ],
        },
      }),
    );
    assert.deepEqual((out as { component?: unknown }).component, [
      { code: { text: 'systolic' }, valueQuantity: { value: 120, unit: 'mm[Hg]' } },
    ]);
  });
  it('deletes a primitive together with its extension sibling, and inserts into an empty list', () => {
    const input = {
      resourceType: 'Patient',
      birthDate: '1970-01-01',
      _birthDate: { extension: [{ url: 'http://x', valueString: 'y' }] },
    } as Patient;
    assert.deepEqual(applyFhirPathPatch(input, patch({ type: 'delete', path: 'Patient.birthDate' })), {
      resourceType: 'Patient',
    });
    const inserted = applyFhirPathPatch(
      { resourceType: 'Patient' },
      patch({ type: 'insert', path: 'Patient.identifier', index: 0, value: { valueIdentifier: { value: 'a' } } }),
    );
    assert.deepEqual(inserted, { resourceType: 'Patient', identifier: [{ value: 'a' }] });
  });
  it('deleting something that is not there is not an error', () => {
    assert.deepEqual(
      applyFhirPathPatch({ resourceType: 'Patient' }, patch({ type: 'delete', path: 'Patient.birthDate' })),
      { resourceType: 'Patient' },
    );
  });
});

describe('FHIRPath Patch — bad patches are 400 with a clear diagnostic', () => {
  const p: Patient = { resourceType: 'Patient', birthDate: '1920-01-01', identifier: [{ value: '1' }, { value: '2' }] };
  it('rejects a body that is not Parameters', () => {
    rejects(p, { resourceType: 'Patient' } as unknown as Parameters, /must be a Parameters resource/);
  });
  it('rejects an unknown operation type and a missing path', () => {
    rejects(
      p,
      patch({ type: 'upsert', path: 'Patient.birthDate' }),
      /Unknown or missing patch operation type "upsert"/,
    );
    rejects(
      p,
      { resourceType: 'Parameters', parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'delete' }] }] },
      /no "path"/,
    );
  });
  it('rejects a parameter not named operation', () => {
    rejects(p, { resourceType: 'Parameters', parameter: [{ name: 'op', part: [] }] }, /must be named "operation"/);
  });
  it('rejects an invalid FHIRPath expression', () => {
    rejects(p, patch({ type: 'delete', path: 'Patient.name[' }), /Invalid FHIRPath expression "Patient\.name\["/);
  });
  it('rejects a path that matches several elements', () => {
    rejects(p, patch({ type: 'delete', path: 'Patient.identifier' }), /matches 2 elements/);
    rejects(
      p,
      patch({ type: 'replace', path: 'Patient.identifier.value', value: { valueString: 'x' } }),
      /matches 2 elements/,
    );
  });
  it('rejects replace of something missing, add of an existing single element, add of an unknown element', () => {
    rejects(
      p,
      patch({ type: 'replace', path: 'Patient.gender', value: { valueCode: 'male' } }),
      /No content found at Patient\.gender when replacing/,
    );
    rejects(
      p,
      patch({ type: 'add', path: 'Patient', name: 'birthDate', value: { valueDate: '1930-01-01' } }),
      /already has a value; use "replace"/,
    );
    rejects(
      p,
      patch({ type: 'add', path: 'Patient', name: 'shoeSize', value: { valueInteger: 42 } }),
      /Patient has no element "shoeSize"/,
    );
  });
  it('rejects out-of-range indexes for insert and move, and a missing value', () => {
    rejects(
      p,
      patch({ type: 'insert', path: 'Patient.identifier', index: 5, value: { valueIdentifier: { value: '3' } } }),
      /Index 5 is beyond the end/,
    );
    rejects(
      p,
      patch({ type: 'move', path: 'Patient.identifier', source: 2, destination: 0 }),
      /source index 2 is outside/,
    );
    rejects(p, patch({ type: 'insert', path: 'Patient.identifier', index: 0 }), /needs a "value"/);
    rejects(p, patch({ type: 'move', path: 'Patient.identifier', source: 0 }), /non-negative integer "destination"/);
  });
  it('rejects a value of the wrong type for a choice element and computed paths', () => {
    rejects(
      { resourceType: 'Patient' },
      patch({ type: 'add', path: 'Patient', name: 'deceased', value: { valueString: 'yes' } }),
      /cannot hold a value of type String/,
    );
    rejects(p, patch({ type: 'delete', path: "'literal'" }), /must select elements of the resource/);
    rejects(p, patch({ type: 'delete', path: 'Patient' }), /the resource itself/);
  });
});
