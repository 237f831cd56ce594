/**
 * FHIR XML on the official examples (corpus: extras/ and fhir-test-cases/fhirpath-r4; skipped with the reason when
 * absent, a failure under CI=true):
 * - every JSON example written as XML and read back is the same JSON (members in any order; numbers, narratives
 *   and `_` parts exactly as written);
 * - every fhirpath-r4 input given in both forms: our XML → JSON equals the JSON form, narratives compared as XHTML
 *   (the JSON forms were made by HL7's tools, some of which drop whitespace-only text between tags or write
 *   `"` for `&quot;`), except the differences pinned below, where the reference JSON is not what the XML says.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJson } from '../../json/parse-json.js';
import { corpusMissing, corpusPath } from '../../testing/corpus.js';
import { parseFhirXml } from './parse-fhir-xml.js';
import { writeFhirXml } from './write-fhir-xml.js';
import { canonicalJson, withXhtmlEvents } from './testing/json-compare.js';

const JSON_FOLDERS = [
  'extras/fhir-r4-core-examples',
  'extras/us-core-9.0.0-examples',
  'extras/ips-examples',
  'fhir-test-cases/fhirpath-r4/input',
  'fhir-test-cases/fhirpath-r4/input-json-equivalents',
];
const XML_INPUTS = 'fhir-test-cases/fhirpath-r4/input';
const XML_EQUIVALENTS = 'fhir-test-cases/fhirpath-r4/input-json-equivalents';

/** JSON files that are not valid FHIR JSON, with what is wrong (they cannot round-trip through any FHIR XML). */
const NOT_FHIR_JSON: Record<string, string> = {
  // "valueUuid": {"value": "urn:uuid:…"}: a primitive written as an object.
  'fhir-test-cases/fhirpath-r4/input-json-equivalents/parameters-example-types.json': 'is not a FHIR primitive value',
};

/** Where the reference JSON form differs from the XML it stands for; each pinned to its one difference. */
const REFERENCE_DIFFERS: Record<string, (ours: Record<string, unknown>, theirs: Record<string, unknown>) => void> = {
  // The XML has a literal line break and indent inside a value attribute: XML 1.0 makes each of those characters
  // a space ("cholesterol    from"); the reference collapsed them into one. The XML has no narrative; the
  // reference JSON carries a generated one.
  'codesystem-example.xml': (ours, theirs) => {
    assert.equal(ours['text'], undefined);
    delete theirs['text'];
    assert.equal(ours['description'], String(theirs['description']).replace('cholesterol from', 'cholesterol    from'));
    ours['description'] = theirs['description'];
  },
  // The XML has <extension> after <status> (out of definition order); the reference dropped it, we keep it.
  'observation-example.xml': (ours) => {
    assert.deepEqual(
      (ours['extension'] as Array<{ url: string }>).map((e) => e.url),
      ['http://example.com/fhir/StructureDefinition/patient-age'],
    );
    delete ours['extension'];
  },
  // The reference writes valueUuid as {"value": "urn:uuid:…"}, which is not FHIR JSON; the XML says a plain uuid.
  'parameters-example-types.xml': (ours, theirs) => {
    const p = (r: Record<string, unknown>) => (r['parameter'] as Array<Record<string, unknown>>)[2]!;
    assert.deepEqual(p(theirs)['valueUuid'], { value: p(ours)['valueUuid'] });
    p(ours)['valueUuid'] = p(theirs)['valueUuid'];
  },
};

describe('FHIR XML round trips of the official examples', { skip: corpusMissing('extras', XML_INPUTS) }, () => {
  for (const folder of JSON_FOLDERS) {
    it(`${folder}: JSON → XML → JSON gives the same JSON`, { skip: corpusMissing(folder) }, () => {
      const files = readdirSync(corpusPath(folder)).filter((f) => f.endsWith('.json'));
      assert.ok(files.length > 0);
      const failures: string[] = [];
      for (const file of files) {
        const original = parseJson(readFileSync(corpusPath(folder, file), 'utf8')) as Record<string, unknown>;
        const expectedError = NOT_FHIR_JSON[`${folder}/${file}`];
        try {
          const back = parseFhirXml(writeFhirXml(original));
          if (canonicalJson(back) !== canonicalJson(original)) failures.push(`${file}: differs`);
          if (expectedError) failures.push(`${file}: expected "${expectedError}"`);
        } catch (error) {
          const message = (error as Error).message;
          if (!expectedError || !message.includes(expectedError)) failures.push(`${file}: ${message}`);
        }
      }
      assert.deepEqual(failures, []);
    });
  }

  it('fhirpath-r4: each XML input read as JSON equals its JSON form', { skip: corpusMissing(XML_EQUIVALENTS) }, () => {
    const files = readdirSync(corpusPath(XML_INPUTS)).filter((f) => f.endsWith('.xml'));
    const paired = files.filter((f) => readdirSync(corpusPath(XML_EQUIVALENTS)).includes(f.replace(/\.xml$/, '.json')));
    assert.ok(paired.length >= 7, `${paired.length} pairs`);
    for (const file of paired) {
      const ours = parseFhirXml(readFileSync(corpusPath(XML_INPUTS, file), 'utf8'));
      const theirs = parseJson(
        readFileSync(join(corpusPath(XML_EQUIVALENTS), file.replace(/\.xml$/, '.json')), 'utf8'),
      ) as Record<string, unknown>;
      REFERENCE_DIFFERS[file]?.(ours, theirs);
      assert.equal(canonicalJson(withXhtmlEvents(ours)), canonicalJson(withXhtmlEvents(theirs)), file);
    }
  });

  it('fhirpath-r4: each XML input → JSON → XML → JSON is stable', { skip: corpusMissing(XML_INPUTS) }, () => {
    for (const file of readdirSync(corpusPath(XML_INPUTS)).filter((f) => f.endsWith('.xml'))) {
      const once = parseFhirXml(readFileSync(corpusPath(XML_INPUTS, file), 'utf8'));
      assert.equal(canonicalJson(parseFhirXml(writeFhirXml(once))), canonicalJson(once), file);
    }
  });
});
