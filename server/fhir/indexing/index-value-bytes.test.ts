import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Patient } from '@medplum/fhirtypes';
import {
  foldKeyValue,
  MAX_INDEX_VALUE_BYTES,
  MAX_KEY_VALUE_BYTES,
  utf8Prefix,
  utf8WordsPrefix,
  wholeCodePoints,
} from './index-value-bytes.js';
import { extractIndex } from './extract-index.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('index values on a byte budget', () => {
  it('cuts at a whole code point, never half a surrogate pair', () => {
    const astral = '𠀀'.repeat(10); // 4 bytes each
    assert.equal(utf8Prefix(astral, 9), '𠀀𠀀');
    assert.equal(utf8Prefix('ابت', 5), 'اب');
    assert.equal(utf8Prefix('abc', 10), 'abc');
    assert.equal(wholeCodePoints(astral.slice(0, 3)), '𠀀');
    assert.equal(utf8WordsPrefix('ابت ثجح خدذ', 10), 'ابت');
    assert.equal(utf8WordsPrefix('ابتثجحخدذ', 10), 'ابتثج');
  });

  it('keeps every string entry of a resource with long non-Latin text inside the budget', () => {
    const arabic = Array.from({ length: 4000 }, (_, i) => 'ابتثجحخدذرزسشصضطظعغفقكلمنهوي'[(i * 7919) % 28]).join('');
    const patient: Patient = {
      resourceType: 'Patient',
      text: {
        status: 'generated',
        div: `<div xmlns="http://www.w3.org/1999/xhtml">مريض ${arabic} ${'𠀀'.repeat(3000)}</div>`,
      },
      name: [{ family: arabic, given: ['𠀁'.repeat(3000)] }],
    };
    const strings = extractIndex(patient).entries.filter((e) => e.kind === 'string');
    assert.ok(
      strings.some((e) => e.param === '_text' && e.value === 'مريض'),
      'the first word kept, the cut word dropped',
    );
    for (const e of strings) {
      assert.ok(bytes(e.value) <= MAX_INDEX_VALUE_BYTES, `${e.param}: ${bytes(e.value)} bytes`);
      assert.ok(!loneSurrogate.test(e.value), `${e.param}: a lone surrogate`);
    }
  });

  it('folds a token/URI/reference value over the budget: its beginning and a digest, whole code points, one per value', () => {
    const short = 'ب'.repeat(500); // 1,000 bytes: kept as it is
    assert.equal(foldKeyValue(short), short);
    assert.equal(foldKeyValue('urn:oid:1.2.3'), 'urn:oid:1.2.3');
    const long = 'ب'.repeat(2999) + 'ت';
    const twin = 'ب'.repeat(3000);
    const astral = '𠀀'.repeat(1000);
    for (const value of [long, twin, astral]) {
      const folded = foldKeyValue(value);
      assert.ok(bytes(folded) <= MAX_KEY_VALUE_BYTES, `${bytes(folded)} bytes`);
      assert.ok(!loneSurrogate.test(folded), 'a lone surrogate');
      assert.ok(value.startsWith(folded.slice(0, 400)), 'keeps the beginning');
      assert.equal(foldKeyValue(value), folded, 'the same value folds the same way');
    }
    assert.notEqual(foldKeyValue(long), foldKeyValue(twin), 'values differing in their last letter stay apart');
    const entries = extractIndex({
      resourceType: 'Patient',
      identifier: [{ system: 'http://h.example.sd/mrn', value: long }],
      telecom: [{ system: 'email', value: `${twin}@example.sd` }],
      managingOrganization: { reference: `http://other.example.sd/fhir/Organization/${long}` },
    }).entries;
    const identifier = entries.find((e) => e.kind === 'token' && e.param === 'identifier');
    assert.deepEqual(identifier, {
      kind: 'token',
      param: 'identifier',
      system: 'http://h.example.sd/mrn',
      code: foldKeyValue(long),
    });
    for (const e of entries)
      for (const v of Object.values(e))
        if (typeof v === 'string') assert.ok(bytes(v) <= MAX_INDEX_VALUE_BYTES, e.param);
  });
});
