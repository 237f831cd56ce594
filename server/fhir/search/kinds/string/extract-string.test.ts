import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entriesOf } from '../../../indexing/extractors/testing/test-helpers.js';
import { MAX_NARRATIVE_LENGTH, narrativeText } from './extract-string.js';

describe('string extractor', () => {
  const patient = {
    resourceType: 'Patient',
    id: 'p1',
    name: [
      { family: 'Ábdel  Rahman', given: ['Mohamed', 'Ali'], prefix: ['Dr.'], text: 'Dr. Mohamed Ali Ábdel Rahman' },
    ],
    address: [
      {
        line: ['12 Nile Street', 'Block 4'],
        city: 'Khartoum',
        district: 'Bahri',
        state: 'Khartoum',
        postalCode: '11111',
        country: 'SD',
      },
    ],
  };

  it('indexes every part of a HumanName, normalised, with the exact text kept', () => {
    const name = entriesOf(patient, 'name');
    assert.deepEqual(
      name.map((e) => e.kind === 'string' && e.value),
      ['abdel rahman', 'mohamed', 'ali', 'dr.', 'dr. mohamed ali abdel rahman'],
    );
    assert.deepEqual(entriesOf(patient, 'family'), [
      { kind: 'string', param: 'family', value: 'abdel rahman', exact: 'Ábdel  Rahman' },
    ]);
    assert.deepEqual(
      entriesOf(patient, 'given').map((e) => e.kind === 'string' && e.exact),
      ['Mohamed', 'Ali'],
    );
  });

  it('indexes the parts of an Address, and each part parameter on its own', () => {
    const address = entriesOf(patient, 'address').map((e) => e.kind === 'string' && e.value);
    // city and state are both "Khartoum": deduplicated to one entry
    assert.deepEqual(address, ['12 nile street', 'block 4', 'khartoum', 'bahri', '11111', 'sd']);
    assert.deepEqual(
      entriesOf(patient, 'address-city').map((e) => e.kind === 'string' && e.exact),
      ['Khartoum'],
    );
    assert.deepEqual(
      entriesOf(patient, 'address-postalcode').map((e) => e.kind === 'string' && e.value),
      ['11111'],
    );
  });

  it('indexes plain strings and skips blank ones', () => {
    const org = { resourceType: 'Organization', name: '  Soba   University Hospital ', alias: ['   '] };
    assert.deepEqual(entriesOf(org, 'name'), [
      { kind: 'string', param: 'name', value: 'soba university hospital', exact: '  Soba   University Hospital ' },
    ]);
  });

  it('indexes the narrative as _text without tags or entities', () => {
    const withText = {
      ...patient,
      text: {
        status: 'generated',
        div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Mohamed &amp; <b>Ali</b>&#160;seen</p></div>',
      },
    };
    assert.deepEqual(entriesOf(withText, '_text'), [
      { kind: 'string', param: '_text', value: 'mohamed & ali seen', exact: 'Mohamed & Ali seen' },
    ]);
    assert.equal(narrativeText('<div>' + 'x'.repeat(10) + '</div>'), 'xxxxxxxxxx');
    const long = { ...patient, text: { status: 'generated', div: `<div>${'word '.repeat(2000)}</div>` } };
    const [entry] = entriesOf(long, '_text');
    assert.ok(entry?.kind === 'string' && entry.exact.length <= MAX_NARRATIVE_LENGTH);
  });
});
