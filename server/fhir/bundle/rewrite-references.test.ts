import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteReferences } from './rewrite-references.js';

describe('rewriteReferences', () => {
  it('rewrites nested references in a copy, leaves the input and local references alone, resolves each reference once', async () => {
    const input = JSON.parse(
      '{"resourceType":"Encounter","subject":{"reference":"urn:uuid:1"},"participant":[{"individual":{"reference":"urn:uuid:2"}},{"individual":{"reference":"#pr"}}],' +
        '"extension":[{"valueReference":{"reference":"urn:uuid:1"}}],"note":[{"text":"reference"}],"__proto__":{"reference":"urn:uuid:2"}}',
    );
    const before = JSON.stringify(input);
    const asked: string[] = [];
    const out = await rewriteReferences(input, async (r) => {
      asked.push(r);
      return r === 'urn:uuid:1' ? 'Patient/p1' : r === 'urn:uuid:2' ? 'Practitioner/d2' : undefined;
    });
    assert.deepEqual(asked, ['urn:uuid:1', 'urn:uuid:2']);
    assert.equal(JSON.stringify(input), before, 'the input is not changed');
    assert.equal(out.subject.reference, 'Patient/p1');
    assert.equal(out.participant[0].individual.reference, 'Practitioner/d2');
    assert.equal(out.participant[1].individual.reference, '#pr');
    assert.equal(out.extension[0].valueReference.reference, 'Patient/p1');
    assert.equal(Object.getPrototypeOf(out), Object.prototype, 'a "__proto__" key stays a plain property');
    assert.equal(JSON.parse(JSON.stringify(out)).__proto__.reference, 'Practitioner/d2');
    assert.notEqual(out.participant, input.participant, 'the path to a rewritten reference is a copy');
    assert.equal(out.participant[1], input.participant[1], 'what holds no rewritten reference is shared, not copied');
    assert.equal(out.note, input.note);
  });

  it('returns the input itself when no reference changes', async () => {
    const input = { resourceType: 'Observation', code: { text: 'x' }, subject: { reference: 'Patient/p1' } };
    assert.equal(await rewriteReferences(input, async () => undefined), input);
  });

  it('stops at the first reference the resolver rejects', async () => {
    await assert.rejects(
      rewriteReferences({ a: { reference: 'urn:uuid:bad' } }, async () => {
        throw new Error('no entry');
      }),
      /no entry/,
    );
  });
});
