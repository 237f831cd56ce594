import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseJson } from './parse-json.js';
import { JsonInputError } from './json-input-error.js';
import { stringifyJson } from './stringify-json.js';
import { decodeJsonBytes } from './decode-json-bytes.js';
import { applyNumberTexts, cloneJson, collectNumberTexts, numberTextOf } from './number-texts.js';

function refused(text: string, path: string, message: RegExp): void {
  assert.throws(
    () => parseJson(text),
    (error: unknown) => {
      assert.ok(error instanceof JsonInputError, String(error));
      assert.equal(error.path, path);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('parseJson: lossless numbers', () => {
  const cases = ['1.50', '6.0', '12500.00', '0.001530', '3.14159265358979323846264338327', '1E-22', '-0', '-0.0'];
  cases.push('1.000000000000000000E-245', '-1.000000000000000000E+245', '0.0000001', '12345678901234567890', '1e2');
  for (const written of cases) {
    it(`${written} comes back as written, as a plain number in between`, () => {
      const text = `{"resourceType":"Observation","valueQuantity":{"value":${written}},"list":[${written},2]}`;
      const value = parseJson(text) as { valueQuantity: { value: unknown }; list: unknown[] };
      assert.equal(typeof value.valueQuantity.value, 'number');
      assert.equal(value.valueQuantity.value, Number(written));
      assert.equal(stringifyJson(value), text);
      assert.equal(JSON.stringify(value), JSON.stringify(JSON.parse(text)), 'plain JSON.stringify is unchanged');
    });
  }

  it('numbers that String() writes alike carry no text (the common path stays plain)', () => {
    const value = parseJson('{"a":1.5,"b":[100,-2,0.25]}');
    assert.equal(collectNumberTexts(value), undefined);
  });

  it('a changed value loses its old text; a spread copy keeps the others', () => {
    const value = parseJson('{"q":{"value":1.50,"low":2.0}}') as { q: { value: number; low: number } };
    const copy = { ...value, q: { ...value.q, value: 1.75 } };
    assert.equal(stringifyJson(copy), '{"q":{"value":1.75,"low":2.0}}');
    assert.equal(stringifyJson(value), '{"q":{"value":1.50,"low":2.0}}');
  });

  it('texts survive cloneJson and a store round trip through collect/apply', () => {
    const value = parseJson('{"a":[{"v":6.0}],"b":{"c":0.001530}}');
    assert.equal(stringifyJson(cloneJson(value)), '{"a":[{"v":6.0}],"b":{"c":0.001530}}');
    const entries = collectNumberTexts(value);
    assert.deepEqual(entries, [
      [['a', 0, 'v'], '6.0'],
      [['b', 'c'], '0.001530'],
    ]);
    const fresh = JSON.parse(JSON.stringify(value)) as unknown;
    applyNumberTexts(fresh, JSON.parse(JSON.stringify(entries)));
    assert.equal(stringifyJson(fresh), '{"a":[{"v":6.0}],"b":{"c":0.001530}}');
    assert.equal(numberTextOf((fresh as { b: object }).b, 'c'), '0.001530');
  });

  it('texts from a store that no longer fit the value are ignored', () => {
    const fresh = { a: 1.5 };
    applyNumberTexts(fresh, [
      [['a'], '2.50'],
      [['a'], 'NaN'],
      [['missing', 'x'], '1.0'],
    ]);
    assert.equal(stringifyJson(fresh), '{"a":1.5}');
  });
});

describe('parseJson: what JSON or FHIR forbids is refused, naming where', () => {
  it('a duplicate key at the root', () => {
    refused('{"resourceType":"Observation","resourceType":"Patient"}', 'Observation.resourceType', /Duplicate/);
  });
  it('a duplicate key deep inside', () => {
    refused(
      '{"resourceType":"Patient","name":[{"family":"A"},{"given":["x"],"family":"B","family":"C"}]}',
      'Patient.name[1].family',
      /Duplicate property "family"/,
    );
  });
  it('a duplicate key written with whitespace before the colon', () => {
    refused('{"resourceType":"Patient","a" : 1,"a":2}', 'Patient.a', /Duplicate/);
  });
  it('a duplicate key with numbers that need their text', () => {
    refused('{"resourceType":"Observation","v":1.50,"v":1.50}', 'Observation.v', /Duplicate/);
  });
  it('a duplicate key spelled with an escape', () => {
    refused('{"resourceType":"Patient","gender":"male","gend\\u0065r":"female"}', 'Patient.gender', /Duplicate/);
  });
  it('a lone surrogate (escaped)', () => {
    refused('{"resourceType":"Patient","name":[{"family":"A\\ud800B"}]}', 'Patient.name[0].family', /lone surrogate/);
    refused('{"resourceType":"Patient","name":[{"family":"A\\udc00"}]}', 'Patient.name[0].family', /lone surrogate/);
  });
  it('a lone surrogate in a key', () => {
    refused('{"resourceType":"Patient","\\ud800":1}', 'Patient', /lone surrogate/);
  });
  it('a lone surrogate in a JS string handed over as it is', () => {
    refused('{"resourceType":"Patient","id":"a\ud800"}', 'Patient.id', /lone surrogate/);
  });
  it('a __proto__ key, plain or escaped', () => {
    refused('{"resourceType":"Patient","meta":{"__proto__":{"x":1}}}', 'Patient.meta.__proto__', /__proto__/);
    refused('{"resourceType":"Patient","\\u005f_proto__":{}}', 'Patient.__proto__', /__proto__/);
  });
  it('a valid surrogate pair is accepted', () => {
    assert.deepEqual(parseJson('{"a":"\\ud83d\\ude00"}'), { a: '😀' });
  });
  it('malformed JSON names where it breaks', () => {
    refused('{"resourceType":"Patient","name":[{"family":"A",}]}', 'Patient.name[0]', /property name/);
    refused('{"a":01}', '$.a', /Invalid number/);
  });
  it('a BOM before the JSON is accepted', () => {
    assert.deepEqual(parseJson('\ufeff{"a":1}'), { a: 1 });
  });
});

describe('decodeJsonBytes', () => {
  it('refuses invalid UTF-8 naming the byte and the path', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"resourceType":"Patient","name":[{"family":"Os'),
      Buffer.from([0xff]),
      Buffer.from('man"}]}'),
    ]);
    assert.throws(
      () => decodeJsonBytes(bytes),
      (e: unknown) => e instanceof JsonInputError && e.path === 'Patient.name[0].family' && /byte 47/.test(e.message),
    );
  });
  it('refuses overlong encodings and encoded surrogates (CESU-8)', () => {
    for (const bad of [
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
    ]) {
      assert.throws(() => decodeJsonBytes(Buffer.from([0x7b, 0x22, ...bad, 0x22]), 'utf-8'), JsonInputError);
    }
  });
  it('skips a UTF-8 BOM and decodes other charsets', () => {
    assert.equal(decodeJsonBytes(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), '{}');
    assert.equal(decodeJsonBytes(Buffer.from([0x7b, 0xe9, 0x7d]), 'ISO-8859-1'), '{é}');
    assert.equal(decodeJsonBytes(Buffer.from('{"a":"ب"}', 'utf16le'), 'utf-16le'), '{"a":"ب"}');
  });
});
