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

  it('OML^O21 with two ORC/OBR groups sharing one placer number: one order per OBR (two ids), each with its own code', () => {
    const b = map([
      'MSH|^~\\&|EHR|KTH|LIS|KTH|20260301||OML^O21^OML_O21|OL1|P|2.5.1',
      PID,
      'ORC|NW|P-20',
      'OBR|1|P-20||2345-7^Glucose^LN',
      'OBX|1|NM|2345-7^Glucose^LN||5.5|mmol/L|||||F',
      'ORC|NW|P-20',
      'OBR|2|P-20||718-7^Hemoglobin^LN',
      'OBX|1|NM|718-7^Hemoglobin^LN||13|g/dL|||||F',
    ]);
    const orders = all<ServiceRequest>(b.entry, 'ServiceRequest');
    assert.deepEqual(
      orders.map((o) => [o.code?.coding?.[0]?.code, ids(o)]),
      [
        ['2345-7', ['P-20']],
        ['718-7', ['P-20']],
      ],
    );
    assert.notEqual(
      b.entry!.find((e) => e.resource === orders[0])!.request!.url,
      b.entry!.find((e) => e.resource === orders[1])!.request!.url,
    );
  });

  it('OML^O21 with a PRIOR_RESULT: the prior visit and prior order are not mapped; the next ORDER still is', () => {
    const b = map([
      'MSH|^~\\&|EHR|KTH|LIS|KTH|20260301||OML^O21^OML_O21|OL2|P|2.5.1',
      PID,
      'PV1|1|O|CL1^^^KTH||||||||||||||||V-NOW',
      'ORC|NW|P-40',
      'OBR|1|P-40||2345-7^Glucose^LN',
      'PV1|1|I|W9^^^KTH||||||||||||||||V-PRIOR',
      'ORC|SC|P-OLD',
      'OBR|1|P-OLD||718-7^Hemoglobin^LN',
      'OBX|1|NM|718-7^Hemoglobin^LN||9|g/dL|||||F',
    ]);
    assert.deepEqual(
      all<ServiceRequest>(b.entry, 'ServiceRequest').map((o) => [o.code?.coding?.[0]?.code, ids(o)]),
      [['2345-7', ['P-40']]],
    );
    assert.deepEqual(
      b.entry!.filter((e) => e.resource?.resourceType === 'Encounter').map((e) => ids(e.resource as ServiceRequest)),
      [['V-NOW']],
    );
    assert.equal(all<Observation>(b.entry, 'Observation').length, 0, 'the prior result is not a new Observation');
    const next = map([
      'MSH|^~\\&|EHR|KTH|LIS|KTH|20260301||OML^O21^OML_O21|OL3|P|2.5.1',
      PID,
      'ORC|NW|P-41',
      'OBR|1|P-41||2345-7^Glucose^LN',
      'ORC|NW|P-42',
      'OBR|1|P-42||718-7^Hemoglobin^LN',
    ]);
    assert.deepEqual(all<ServiceRequest>(next.entry, 'ServiceRequest').map(ids), [['P-41'], ['P-42']]);
  });

  it('RDS^O13 with two ORC/RXE/RXD groups: two dispenses, each authorised by its own order', () => {
    const b = map([
      'MSH|^~\\&|PHA|KTH|EHR|KTH|20260301||RDS^O13^RDS_O13|RD1|P|2.5.1',
      PID,
      'ORC|RE|PL-31|FL-31',
      'RXE|^^^20260301|RX-A^Amoxicillin 500mg^L|500||mg',
      'RXR|PO',
      'RXD|1|RX-A^Amoxicillin 500mg^L|20260301|21|CAP',
      'RXR|PO',
      'ORC|RE|PL-32|FL-32',
      'RXE|^^^20260301|RX-B^Paracetamol 1g^L|1||g',
      'RXR|PO',
      'RXD|1|RX-B^Paracetamol 1g^L|20260301|10|TAB',
      'RXR|PO',
    ]);
    const requests = all<MedicationRequest>(b.entry, 'MedicationRequest');
    assert.deepEqual(requests.map(ids), [
      ['FL-31', 'PL-31'],
      ['FL-32', 'PL-32'],
    ]);
    const urlOf = (r: Resource) => b.entry!.find((e) => e.resource === r)!.fullUrl;
    const dispenses = b
      .entry!.filter((e) => e.resource?.resourceType === 'MedicationDispense')
      .map(
        (e) =>
          e.resource as Resource & {
            authorizingPrescription?: { reference?: string }[];
            medicationCodeableConcept?: { coding?: { code?: string }[] };
          },
      );
    assert.deepEqual(
      dispenses.map((d) => [d.medicationCodeableConcept?.coding?.[0]?.code, d.authorizingPrescription?.[0]?.reference]),
      [
        ['RX-A', urlOf(requests[0]!)],
        ['RX-B', urlOf(requests[1]!)],
      ],
    );
  });

  it('ADT^A17 swap: each PV1 is the encounter of its own PID', () => {
    const b = map([
      'MSH|^~\\&|ADT|KTH|EHR|KTH|20260301||ADT^A17^ADT_A17|SW1|P|2.5.1',
      'EVN|A17|20260301',
      'PID|1||SW-1^^^KTH^MR||One^Patient',
      'PV1|1|I|W1^101^1||||||||||||||||V-SW-1',
      'PID|2||SW-2^^^KTH^MR||Two^Patient',
      'PV1|1|I|W1^102^1||||||||||||||||V-SW-2',
    ]);
    const urlOfPatient = (mrn: string) =>
      b.entry!.find(
        (e) =>
          e.resource?.resourceType === 'Patient' &&
          ids(e.resource as { identifier?: { value?: string }[] }).includes(mrn),
      )!.fullUrl;
    const encounters = b
      .entry!.filter((e) => e.resource?.resourceType === 'Encounter')
      .map((e) => e.resource as Resource & { subject?: { reference?: string }; identifier?: { value?: string }[] });
    assert.deepEqual(
      encounters.map((e) => [ids(e), e.subject?.reference]),
      [
        [['V-SW-1'], urlOfPatient('SW-1')],
        [['V-SW-2'], urlOfPatient('SW-2')],
      ],
    );
  });

  it('BAR^P01 with two VISIT groups: each visit its own encounter, each DG1 under its visit', () => {
    const b = map([
      'MSH|^~\\&|BILL|KTH|EHR|KTH|20260301||BAR^P01^BAR_P01|BA1|P|2.5.1',
      'EVN|P01|20260301',
      PID,
      'PV1|1|O|CL1^^^KTH||||||||||||||||V-BA-1',
      'DG1|1||J06.9^URTI^I10',
      'PV1|1|O|CL2^^^KTH||||||||||||||||V-BA-2',
      'DG1|1||E11.9^Type 2 diabetes^I10',
    ]);
    const encounters = b.entry!.filter((e) => e.resource?.resourceType === 'Encounter');
    assert.deepEqual(
      encounters.map((e) => ids(e.resource as ServiceRequest)),
      [['V-BA-1'], ['V-BA-2']],
    );
    const conditions = b
      .entry!.filter((e) => e.resource?.resourceType === 'Condition')
      .map(
        (e) => e.resource as Resource & { code?: { coding?: { code?: string }[] }; encounter?: { reference?: string } },
      );
    assert.deepEqual(
      conditions.map((c) => [c.code?.coding?.[0]?.code, c.encounter?.reference]),
      [
        ['J06.9', encounters[0]!.fullUrl],
        ['E11.9', encounters[1]!.fullUrl],
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
