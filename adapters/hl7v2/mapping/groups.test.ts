/**
 * Segment groups per abstract message structure: each OBR, RXE, RXA takes the ORC of its own group (never the
 * next group's), each OBX its own OBR — for multi-group messages of every supported type.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type {
  BundleEntry,
  DiagnosticReport,
  Immunization,
  MedicationRequest,
  Observation,
  Resource,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { parseMessage } from '../parser/parse-message.js';
import { loadMappings } from './load-mappings.js';
import { CodeTables } from './code-tables.js';
import { mapMessage } from './mapping-engine.js';
import { parseStructure } from './message-structure.js';
import { placeSegments, relatedIn } from './segment-groups.js';

const mappings = loadMappings();
const tables = CodeTables.loadDefaults();
const map = (lines: string[]) => mapMessage(parseMessage(lines.join('\r')), mappings, tables).bundle;
const all = <T extends Resource>(entries: BundleEntry[] | undefined, type: T['resourceType']) =>
  (entries ?? []).filter((e) => e.resource?.resourceType === type).map((e) => e.resource as T);
const ids = (r: { identifier?: { value?: string }[] }) => (r.identifier ?? []).map((i) => i.value).sort();

const PID = 'PID|1||G-100^^^KTH^MR||Nur^Salma||19850505|F';

describe('segment groups by message structure', () => {
  it('VXU^V04 with three ORC/RXA groups: three Immunizations, each with its own order numbers', () => {
    const b = map([
      'MSH|^~\\&|EHR|KTH|IIS|MOH|20260301||VXU^V04^VXU_V04|VX1|P|2.5.1',
      PID,
      'ORC|RE|PL-1|FL-1',
      'RXA|0|1|20260101|20260101|08^HepB^CVX|0.5|mL',
      'RXR|IM^Intramuscular^HL70162',
      'ORC|RE|PL-2|FL-2',
      'RXA|0|1|20260101|20260101|20^DTaP^CVX|0.5|mL',
      'ORC|RE|PL-3|FL-3',
      'RXA|0|1|20260201|20260201|08^HepB^CVX|0.5|mL',
      'OBX|1|CE|64994-7^Vaccine funding program eligibility^LN|1|V02^VFC eligible^HL70064',
    ]);
    const imms = all<Immunization>(b.entry, 'Immunization');
    assert.equal(imms.length, 3);
    assert.deepEqual(
      imms.map((i) => [i.vaccineCode.coding![0]!.code, ids(i)]),
      [
        ['08', ['FL-1', 'PL-1']],
        ['20', ['FL-2', 'PL-2']],
        ['08', ['FL-3', 'PL-3']],
      ],
    );
    assert.equal(imms[0]!.route?.coding?.[0]?.code, 'IM');
    assert.equal(imms[1]!.route, undefined, 'the RXR of the first group stays there');
  });

  it('RDE^O11 with two ORC/RXE groups: two MedicationRequests with their own ORC', () => {
    const b = map([
      'MSH|^~\\&|CPOE|KTH|PHARM|KTH|20260301||RDE^O11^RDE_O11|RD1|P|2.5.1',
      PID,
      'ORC|NW|ORD-1|||||||20260301',
      'RXE|^^^20260301|860975^Metformin 500 mg^RXNORM|500||mg',
      'RXR|PO^Oral^HL70162',
      'ORC|NW|ORD-2|||||||20260301',
      'RXE|^^^20260301|197361^Amlodipine 5 mg^RXNORM|5||mg',
      'RXR|PO^Oral^HL70162',
    ]);
    const mrs = all<MedicationRequest>(b.entry, 'MedicationRequest');
    assert.deepEqual(
      mrs.map((m) => [m.medicationCodeableConcept?.coding?.[0]?.code, ids(m), m.intent]),
      [
        ['860975', ['ORD-1'], 'filler-order'],
        ['197361', ['ORD-2'], 'filler-order'],
      ],
    );
  });

  it('RDE^O11 with RXO and RXE of one order: the original order and the pharmacy order, two ids, each its ORC', () => {
    const b = map([
      'MSH|^~\\&|CPOE|KTH|PHARM|KTH|20260301||RDE^O11^RDE_O11|RD2|P|2.5.1',
      PID,
      'ORC|NW|ORD-1|||||||20260301',
      'RXO|860975^Metformin 500 mg^RXNORM|500||mg',
      'RXR|PO^Oral^HL70162',
      'RXE|^^^20260301|860975^Metformin 500 mg^RXNORM|500||mg',
      'RXR|PO^Oral^HL70162',
      'ORC|NW|ORD-2|||||||20260301',
      'RXO|197361^Amlodipine 5 mg^RXNORM|5||mg',
      'RXR|PO^Oral^HL70162',
      'RXE|^^^20260301|197361^Amlodipine 5 mg^RXNORM|5||mg',
      'RXR|PO^Oral^HL70162',
    ]);
    const mrs = all<MedicationRequest>(b.entry, 'MedicationRequest');
    assert.deepEqual(mrs.map((m) => [m.medicationCodeableConcept?.coding?.[0]?.code, ids(m), m.intent]).sort(), [
      ['197361', ['ORD-2'], 'filler-order'],
      ['197361', ['ORD-2'], 'original-order'],
      ['860975', ['ORD-1'], 'filler-order'],
      ['860975', ['ORD-1'], 'original-order'],
    ]);
    const urls = (b.entry ?? []).filter((e) => e.resource?.resourceType === 'MedicationRequest');
    assert.equal(new Set(urls.map((e) => e.request?.url)).size, 4, 'RXO and RXE of one order never share an id');
  });

  it('ORM^O01 with an RXO: the order and its MedicationRequest (IG ORM_O01: RXO → MedicationRequest)', () => {
    const b = map([
      'MSH|^~\\&|CPOE|KTH|PHARM|KTH|20260301||ORM^O01^ORM_O01|RM1|P|2.5.1',
      PID,
      'ORC|NW|ORD-7|||||||20260301',
      'RXO|860975^Metformin 500 mg^RXNORM|500||mg',
      'ORC|NW|ORD-8|||||||20260301',
      'RXO|^no code',
    ]);
    const mrs = all<MedicationRequest>(b.entry, 'MedicationRequest');
    assert.deepEqual(
      mrs.map((m) => [m.medicationCodeableConcept?.coding?.[0]?.code, ids(m), m.intent, m.status]),
      [['860975', ['ORD-7'], 'original-order', 'active']],
      'an RXO without a drug code is no MedicationRequest (and not an error)',
    );
  });

  it('ORU^R01 with two ORC/OBR groups: two orders and reports, codes and identifiers not mixed', () => {
    const b = map([
      'MSH|^~\\&|LIS|KTH|EHR|KTH|20260301||ORU^R01^ORU_R01|RU1|P|2.5.1',
      PID,
      'ORC|RE|PLA-1|FIL-1',
      'OBR|1|PLA-1|FIL-1|2345-7^Glucose^LN|||20260301080000',
      'OBX|1|NM|2345-7^Glucose^LN||5.4|mmol/L|||||F',
      'ORC|RE|PLA-2|FIL-2',
      'OBR|2|PLA-2|FIL-2|718-7^Hemoglobin^LN|||20260301080000',
      'OBX|1|NM|718-7^Hemoglobin^LN||13.5|g/dL|||||F',
      'OBX|2|NM|789-8^Erythrocytes^LN||4.5|10*6/uL|||||F',
    ]);
    const orders = all<ServiceRequest>(b.entry, 'ServiceRequest');
    assert.deepEqual(
      orders.map((o) => [o.code?.coding?.[0]?.code, ids(o)]),
      [
        ['2345-7', ['FIL-1', 'PLA-1']],
        ['718-7', ['FIL-2', 'PLA-2']],
      ],
    );
    const reports = all<DiagnosticReport>(b.entry, 'DiagnosticReport');
    const obs = b.entry!.filter((e) => e.resource?.resourceType === 'Observation');
    const codeOf = (url: string) => (obs.find((e) => e.fullUrl === url)!.resource as Observation).code.coding![0]!.code;
    assert.deepEqual(
      reports.map((r) => (r.result ?? []).map((x) => codeOf(x.reference!))),
      [['2345-7'], ['718-7', '789-8']],
    );
  });

  it('ORM^O01 with two ORC/OBR groups: two ServiceRequests with their own codes', () => {
    const b = map([
      'MSH|^~\\&|EHR|KTH|LIS|KTH|20260301||ORM^O01^ORM_O01|OR1|P|2.5.1',
      PID,
      'ORC|NW|P-10',
      'OBR|1|P-10||2345-7^Glucose^LN',
      'ORC|NW|P-11',
      'OBR|2|P-11||718-7^Hemoglobin^LN',
    ]);
    assert.deepEqual(
      all<ServiceRequest>(b.entry, 'ServiceRequest').map((o) => [o.code?.coding?.[0]?.code, ids(o)]),
      [
        ['2345-7', ['P-10']],
        ['718-7', ['P-11']],
      ],
    );
  });

  it('places an ORC that follows its OBR (OUL^R22) in the OBR group, not the next one', () => {
    const structure = parseStructure(
      'OUL_R22',
      'MSH [PATIENT: PID] {SPECIMEN: SPM {ORDER: OBR [ORC] [{RESULT: OBX [{NTE}]}]}}',
    );
    const msg = parseMessage(
      [
        'MSH|^~\\&|LIS|KTH|EHR|KTH|20260301||OUL^R22^OUL_R22|UL1|P|2.5.1',
        PID,
        'SPM|1|S1',
        'OBR|1|A|B|1^x',
        'ORC|SC|A',
        'OBX|1|NM|1^x||1',
        'OBR|2|C|D|2^y',
        'ORC|SC|C',
        'OBX|1|NM|2^y||2',
      ].join('\r'),
    );
    const groups = placeSegments(msg, structure);
    const [obr1, obr2] = msg.all('OBR');
    const [orc1, orc2] = msg.all('ORC');
    const [obx1, obx2] = msg.all('OBX');
    assert.equal(relatedIn(groups, obr1!, 'ORC'), orc1);
    assert.equal(relatedIn(groups, obr2!, 'ORC'), orc2);
    assert.equal(relatedIn(groups, obx2!, 'OBR'), obr2);
    assert.equal(relatedIn(groups, obx1!, 'ORC'), orc1);
    assert.equal(relatedIn(groups, obx1!, 'PID'), msg.first('PID'));
  });
});
