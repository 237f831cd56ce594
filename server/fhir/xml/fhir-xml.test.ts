import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FhirError } from '../errors.js';
import { parseJson } from '../../json/parse-json.js';
import { stringifyJson } from '../../json/stringify-json.js';
import { parseFhirXml } from './parse-fhir-xml.js';
import { writeFhirXml } from './write-fhir-xml.js';
import { XmlUnwritableError } from './xml-escape.js';
import { canonicalJson } from './testing/json-compare.js';

const NS = 'xmlns="http://hl7.org/fhir"';
const param = (decimal: string) =>
  `<Parameters ${NS}><parameter><name value="n"/><valueDecimal value="${decimal}"/></parameter></Parameters>`;

function roundTrip(jsonText: string): { xml: string; back: Record<string, unknown> } {
  const json = parseJson(jsonText) as Record<string, unknown>;
  const xml = writeFhirXml(json);
  const back = parseFhirXml(xml);
  assert.equal(canonicalJson(back), canonicalJson(json));
  return { xml, back };
}

function refused(xml: string, message: RegExp): void {
  assert.throws(
    () => parseFhirXml(xml),
    (error: unknown) => {
      assert.ok(error instanceof FhirError, String(error));
      assert.equal(error.status, 400);
      assert.equal(error.outcome.issue[0]?.code, 'structure');
      assert.match(error.outcome.issue[0]?.diagnostics ?? '', message);
      return true;
    },
  );
}

describe('FHIR XML: values', () => {
  it('decimals keep their text both ways (1.50, 6.0, 30 digits, exponents), in arrays too', () => {
    const text =
      '{"resourceType":"Observation","status":"final","code":{"text":"x"},' +
      '"valueQuantity":{"value":1.50,"unit":"mg"},"component":[{"code":{"text":"y"},"valueSampledData":' +
      '{"origin":{"value":6.0},"period":0.001530,"factor":3.14159265358979323846264338327,"dimensions":1,"lowerLimit":1E-22}}]}';
    const { xml, back } = roundTrip(text);
    assert.match(xml, /<valueQuantity><value value="1\.50"\/><unit value="mg"\/><\/valueQuantity>/);
    assert.match(xml, /<factor value="3\.14159265358979323846264338327"\/>/);
    assert.match(stringifyJson(back), /"value":1\.50/);
    assert.match(stringifyJson(parseFhirXml(param('12500.00'))), /12500\.00/);
  });

  it('booleans and integers are JSON true/false and numbers; strings stay strings', () => {
    const back = parseFhirXml(
      `<Patient ${NS}><active value="true"/><multipleBirthInteger value="2"/><gender value="female"/></Patient>`,
    );
    assert.deepEqual(back, { resourceType: 'Patient', active: true, multipleBirthInteger: 2, gender: 'female' });
  });

  it('ids and extensions on primitives, `_given` aligned with nulls', () => {
    roundTrip(
      JSON.stringify({
        resourceType: 'Patient',
        id: 'p1',
        _id: { extension: [{ url: 'http://e/x', valueString: 'on the id' }] },
        name: [
          {
            given: ['A', null, 'C'],
            _given: [null, { id: 'g2', extension: [{ url: 'http://e/absent', valueCode: 'masked' }] }, { id: 'g3' }],
          },
        ],
        _birthDate: {
          extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }],
        },
      }),
    );
    const xml = writeFhirXml({ resourceType: 'Patient', name: [{ given: ['A', null], _given: [null, { id: 'g' }] }] });
    assert.match(xml, /<name><given value="A"\/><given id="g"\/><\/name>/);
  });

  it('choice types, element ids, extension urls and modifier extensions', () => {
    const { xml } = roundTrip(
      JSON.stringify({
        resourceType: 'Observation',
        status: 'final',
        code: { id: 'c1', text: 'x' },
        effectivePeriod: { start: '2024-01-01' },
        valueCodeableConcept: { coding: [{ system: 'http://s', code: 'a' }] },
        extension: [{ url: 'http://e/outer', extension: [{ url: 'inner', valueBoolean: false }] }],
        modifierExtension: [{ url: 'http://e/mod', valueInteger: -3 }],
      }),
    );
    assert.match(xml, /<code id="c1">/);
    assert.match(xml, /<extension url="http:\/\/e\/outer"><extension url="inner"><valueBoolean value="false"\/>/);
  });

  it('contained, Bundle.entry.resource and Parameters.parameter.resource nest resources', () => {
    const { xml } = roundTrip(
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:1',
            resource: {
              resourceType: 'Patient',
              contained: [{ resourceType: 'Organization', id: 'o', name: 'Org' }],
              managingOrganization: { reference: '#o' },
            },
            request: { method: 'POST', url: 'Patient' },
          },
          {
            resource: {
              resourceType: 'Parameters',
              parameter: [
                { name: 'r', resource: { resourceType: 'Patient', active: false } },
                { name: 'n', valueDecimal: 2.0 },
              ],
            },
            request: { method: 'POST', url: 'Patient/$validate' },
          },
        ],
      }),
    );
    assert.match(
      xml,
      /<entry><fullUrl value="urn:uuid:1"\/><resource><Patient><contained><Organization><id value="o"\/>/,
    );
  });

  it('writes elements in definition order whatever the JSON order', () => {
    const xml = writeFhirXml({
      gender: 'male',
      name: [{ family: 'F', given: ['G'] }],
      id: 'x',
      resourceType: 'Patient',
    });
    assert.equal(
      xml,
      `<Patient ${NS}><id value="x"/><name><family value="F"/><given value="G"/></name><gender value="male"/></Patient>`,
    );
  });

  it('escapes, line breaks and tabs in attributes, Arabic and no-break spaces come back exactly', () => {
    const text = 'a<b>&c"d\'e\nf\tg\r\nh';
    const arabic = 'محمد\u00a0عبد\u00a0الله';
    const { xml } = roundTrip(JSON.stringify({ resourceType: 'Patient', name: [{ text, family: arabic }] }));
    assert.match(xml, /value="a&lt;b&gt;&amp;c&quot;d'e&#10;f&#9;g&#13;&#10;h"/);
    assert.ok(xml.includes(arabic));
  });

  it('refuses to write text XML cannot carry', () => {
    assert.throws(() => writeFhirXml({ resourceType: 'Patient', name: [{ text: 'a\u0001b' }] }), XmlUnwritableError);
  });
});

describe('FHIR XML: narrative', () => {
  it('keeps the div exactly as written both ways (quotes, <br />, entities, whitespace)', () => {
    const div = `<div xmlns='http://www.w3.org/1999/xhtml' xml:lang="ar">\r\n  <p>A &amp; B &#39;x&#39; <br /> <b>محمد</b>\u00a0</p><!-- c --></div>`;
    const { xml, back } = roundTrip(JSON.stringify({ resourceType: 'Patient', text: { status: 'generated', div } }));
    assert.ok(xml.includes(div));
    assert.equal((back['text'] as { div: string }).div, div);
  });

  it('a div using a prefix declared outside it is re-written with the XHTML namespace on the div', () => {
    const back = parseFhirXml(
      `<Patient ${NS} xmlns:h="http://www.w3.org/1999/xhtml"><text><status value="generated"/><h:div><h:p class="x">a &lt; b</h:p><h:br/></h:div></text></Patient>`,
    );
    assert.equal(
      (back['text'] as { div: string }).div,
      '<div xmlns="http://www.w3.org/1999/xhtml"><p class="x">a &lt; b</p><br/></div>',
    );
  });

  it('a JSON div without its namespace gets it in XML', () => {
    const xml = writeFhirXml({ resourceType: 'Patient', text: { status: 'generated', div: '<div>hi</div>' } });
    assert.match(xml, /<div xmlns="http:\/\/www\.w3\.org\/1999\/xhtml">hi<\/div>/);
  });

  it('refuses a narrative that is not an XHTML div, or holds other namespaces', () => {
    refused(`<Patient ${NS}><text><status value="generated"/><div>x</div></text></Patient>`, /XHTML div/);
    refused(
      `<Patient ${NS}><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><s:svg xmlns:s="http://www.w3.org/2000/svg"/></div></text></Patient>`,
      /XHTML elements only/,
    );
    assert.throws(
      () => writeFhirXml({ resourceType: 'Patient', text: { status: 'generated', div: '<div>&nbsp;</div>' } }),
      XmlUnwritableError,
    );
  });
});

describe('FHIR XML: hostile and malformed input is a 400 OperationOutcome', () => {
  it('refuses any DOCTYPE: internal entities (billion laughs), external entities (XXE)', () => {
    const lol = '<!DOCTYPE Patient [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>';
    refused(`${lol}<Patient ${NS}><gender value="&b;"/></Patient>`, /DOCTYPE is not allowed/);
    refused(
      `<!DOCTYPE Patient [<!ENTITY x SYSTEM "file:///etc/passwd">]><Patient ${NS}><gender value="&x;"/></Patient>`,
      /DOCTYPE is not allowed/,
    );
    refused(`<!DOCTYPE Patient SYSTEM "http://127.0.0.1:1/evil.dtd"><Patient ${NS}/>`, /DOCTYPE is not allowed/);
    refused(`<Patient ${NS}><gender value="&nbsp;"/></Patient>`, /undefined entity/);
  });

  it('refuses what is not FHIR XML, naming where', () => {
    refused('<Patient><active value="true"/></Patient>', /not in the FHIR namespace/);
    refused(`<Nonsense ${NS}/>`, /not a FHIR resource type/);
    refused(`<Patient ${NS}><colour value="red"/></Patient>`, /Unknown element <colour> in Patient/);
    refused(`<Patient ${NS}><active value="yes"/></Patient>`, /"yes" is not a boolean.*Patient\.active/);
    refused(`<Patient ${NS}><multipleBirthInteger value="2147483648"/></Patient>`, /32-bit integer/);
    refused(param('1,5'), /not a decimal/);
    refused(param('007'), /not a decimal/);
    refused(param('1e999'), /not a decimal/);
    refused(`<Patient ${NS}><gender value="male"/><gender value="female"/></Patient>`, /appears more than once/);
    refused(`<Patient ${NS}><gender>male</gender></Patient>`, /Text "male" is not allowed/);
    refused(`<Patient ${NS}><gender valu="male"/></Patient>`, /Unknown attribute valu/);
    refused(`<Patient ${NS}><name><id value="x"/></name></Patient>`, /Unknown element <id> in HumanName/);
    refused(`<Patient ${NS}><gender/></Patient>`, /neither a value nor extensions/);
    refused(`<Patient ${NS}><contained/></Patient>`, /holds no resource/);
    refused(`<Patient ${NS}><active value="true"></Patient>`, /not well-formed/);
    refused(`<Patient ${NS}/><Patient ${NS}/>`, /not well-formed/);
    refused('', /not well-formed|no FHIR resource/);
    refused(`<Patient ${NS}>${'<extension url="u">'.repeat(600)}`, /nested more than 512/);
  });

  it('ignores comments, processing instructions, xsi attributes and a BOM', () => {
    const back = parseFhirXml(
      `\ufeff<?xml version="1.0" encoding="UTF-8"?><!-- c --><Patient ${NS} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://hl7.org/fhir x.xsd"><?pi x?><active value="true"/></Patient>`,
    );
    assert.deepEqual(back, { resourceType: 'Patient', active: true });
  });
});
