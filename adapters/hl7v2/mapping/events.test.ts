/**
 * Event types beyond admit/result/order, on the corpus messages that carry them: each resource goes to its own
 * patient, order or problem, and events that retire or correct something never erase it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BundleEntry } from '@medplum/fhirtypes';
import { CORPUS, hl7CorpusMissing } from '../testing/corpus.js';
import { parseMessage } from '../parser/parse-message.js';
import { loadMappings } from './load-mappings.js';
import { CodeTables } from './code-tables.js';
import { mapMessage } from './mapping-engine.js';

const mappings = loadMappings();
const tables = CodeTables.loadDefaults();
type R = Record<string, any>;
const map = (text: string) => mapMessage(parseMessage(text), mappings, tables).bundle.entry ?? [];
const corpus = (name: string) => map(readFileSync(join(CORPUS, 'messages', name), 'utf8'));
const ofType = (entries: BundleEntry[], type: string) => entries.filter((e) => e.resource?.resourceType === type);
const res = (e: BundleEntry) => e.resource as R;

describe('event types (mapping)', () => {
  it('A17 swap: each encounter belongs to the patient of its own PID', () => {
    const entries = map(
      'MSH|^~\\&|ADT|KTH|NILE|NC|20260301||ADT^A17^ADT_A17|S17|P|2.5\rEVN|A17\r' +
        'PID|1||MRN-A^^^KTH^MR||Adam^A\rPV1|1|I|W1^101^1||||||||||||||||V-A\r' +
        'PID|2||MRN-B^^^KTH^MR||Badr^B\rPV1|1|I|W1^102^1||||||||||||||||V-B',
    );
    const [a, b] = ofType(entries, 'Patient');
    const encounters = ofType(entries, 'Encounter');
    assert.equal(encounters.length, 2);
    const byVisit = Object.fromEntries(encounters.map((e) => [res(e).identifier[0].value, res(e).subject.reference]));
    assert.deepEqual(byVisit, { 'V-A': a!.fullUrl, 'V-B': b!.fullUrl });
  });

  it('A29 delete person: the Patient is kept, marked inactive', () => {
    const [p] = map('MSH|^~\\&|ADT|KTH|NILE|NC|20260301||ADT^A29|D29|P|2.5\rEVN|A29\rPID|1||MRN-29^^^KTH^MR||Gone^G');
    assert.equal(res(p!).active, false);
    assert.equal(p!.request?.method, 'PUT');
  });

  it('A47 change identifier: the Patient is found by MRG-1 and takes PID-3, for each PID/MRG pair', (t) => {
    const missing = hl7CorpusMissing();
    if (missing) {
      t.skip(missing);
      return;
    }
    const patients = ofType(corpus('ms-fhir-converter/ADT-A47-02.hl7'), 'Patient');
    assert.deepEqual(
      patients.map((p) => [decodeURIComponent(p.request!.url).split('|')[1], res(p).identifier[0].value]),
      [
        ['MR102', 'MR101'],
        ['569', '145'],
      ],
    );
  });

  it('RDS^O13: each dispense is authorised by the request of its own order', (t) => {
    const missing = hl7CorpusMissing();
    if (missing) {
      t.skip(missing);
      return;
    }
    const entries = corpus('ms-fhir-converter/RDS-O13-02.hl7');
    const all = ofType(entries, 'MedicationRequest');
    // Each order: the prescriber's RXO (original-order) and the pharmacy's RXE (filler-order) the dispense follows.
    assert.deepEqual(all.map((r) => res(r).intent).sort(), [
      'filler-order',
      'filler-order',
      'original-order',
      'original-order',
    ]);
    const requests = all.filter((r) => res(r).intent === 'filler-order');
    const dispenses = ofType(entries, 'MedicationDispense');
    assert.equal(requests.length, 2);
    assert.equal(dispenses.length, 2);
    assert.deepEqual(
      dispenses.map((d) => res(d).authorizingPrescription[0].reference),
      requests.map((r) => r.fullUrl),
    );
  });

  it('PPR problems: PC2 resolves, PC3 marks entered-in-error (no clinical status), both by problem instance', (t) => {
    const missing = hl7CorpusMissing();
    if (missing) {
      t.skip(missing);
      return;
    }
    const [upd] = ofType(corpus('v2-to-fhir-ig-archive/PPR-PC2-Problem-Update-v2.3.1.hl7'), 'Condition');
    assert.equal(res(upd!).clinicalStatus.coding[0].code, 'resolved');
    const [del] = ofType(corpus('v2-to-fhir-ig-archive/PPR-PC3-Problem-Delete-v2.3.1.hl7'), 'Condition');
    assert.equal(res(del!).verificationStatus.coding[0].code, 'entered-in-error');
    assert.equal(res(del!).clinicalStatus, undefined);
    assert.equal(del!.request?.url, 'Condition?identifier=26806');
  });

  it('MDM notification without content: the DocumentReference still lists its document (title, no data)', (t) => {
    const missing = hl7CorpusMissing();
    if (missing) {
      t.skip(missing);
      return;
    }
    const [doc] = ofType(corpus('ms-fhir-converter/MDM-T01-01.hl7'), 'DocumentReference');
    assert.ok(res(doc!).content[0].attachment.title);
    assert.equal(res(doc!).content[0].attachment.data, undefined);
  });

  it('ADT^A60: each IAM an AllergyIntolerance of the patient', (t) => {
    const missing = hl7CorpusMissing();
    if (missing) {
      t.skip(missing);
      return;
    }
    const entries = corpus('ms-fhir-converter/ADT-A60-02.hl7');
    const [patient] = ofType(entries, 'Patient');
    const allergies = ofType(entries, 'AllergyIntolerance');
    assert.ok(allergies.length >= 1);
    for (const a of allergies) assert.equal(res(a).patient.reference, patient!.fullUrl);
    assert.equal(res(allergies[0]!).code.coding[0].code, '12345');
  });
});
