/**
 * The v2-to-FHIR IG points of issue 16 item 6, each on a message that carries it: Encounter status from the event
 * and PV1-45/PV1-2, ServiceRequest status/intent, OBX-11 never final unless the sender says so, XTN-12 first, the
 * PV1 locations and participants, OBR-8, OBX-19/23, RXA-21, AL1-5, DG1-21, PID-40, NR as Range, units without a
 * coding system, and times without an offset read in MSH-7's zone.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle } from '@medplum/fhirtypes';
import { parseMessage } from '../parser/parse-message.js';
import { loadMappings } from './load-mappings.js';
import { CodeTables } from './code-tables.js';
import { mapMessage } from './mapping-engine.js';
import { DEFAULT_OPTIONS } from './transform-context.js';
import { optionsFor } from '../../hl7v2/inbound/apply-message.js';

const mappings = loadMappings();
const tables = CodeTables.loadDefaults();
type R = Record<string, any>;
const map = (...segments: string[]): Bundle => {
  const msg = parseMessage(segments.join('\r'));
  return mapMessage(msg, mappings, tables, optionsFor(msg, DEFAULT_OPTIONS)).bundle;
};
const all = (b: Bundle, type: string) =>
  (b.entry ?? []).filter((e) => e.resource?.resourceType === type).map((e) => e.resource as R);
const one = (b: Bundle, type: string) => all(b, type)[0]!;
const msh = (type: string, at = '20260301101500+0300') => `MSH|^~\\&|APP|KTH|NILE|NC|${at}||${type}|C1|P|2.5.1`;
const pid = 'PID|1||M1^^^KTH^MR||Osman^Amna||19900101|F';
/** A segment with the given fields (1-based) set. */
const seg = (name: string, f: Record<number, string>) =>
  Array.from({ length: Math.max(...Object.keys(f).map(Number)) + 1 }, (_, i) => (i === 0 ? name : (f[i] ?? ''))).join(
    '|',
  );
const pv1 = (f: Record<number, string>) => seg('PV1', { 1: '1', ...f });

describe('IG mapping points (issue 16 item 6)', () => {
  it('Encounter status: cancel events, PV1-45, the event, then PV1-2 through PatientClass[EncounterStatus]', () => {
    const status = (event: string, f: Record<number, string>) =>
      one(map(msh(`ADT^${event}`), `EVN|${event}`, pid, pv1(f)), 'Encounter').status;
    assert.equal(status('A04', { 2: 'O' }), 'in-progress');
    assert.equal(status('A01', { 2: 'P' }), 'planned');
    assert.equal(status('A08', { 2: 'I', 45: '20260302' }), 'finished');
    assert.equal(status('A03', { 2: 'I' }), 'finished');
    assert.equal(status('A05', { 2: 'I' }), 'planned');
    assert.equal(status('A11', { 2: 'I', 45: '20260302' }), 'cancelled');
    assert.equal(status('A08', { 2: 'U' }), 'unknown');
  });

  it('ServiceRequest status from ORC-5 before ORC-1; intent reflex-order for OBR-11 G, else order', () => {
    const b = map(
      msh('ORM^O01'),
      pid,
      seg('ORC', { 1: 'NW', 2: 'P1', 5: 'CM' }),
      seg('OBR', { 1: '1', 2: 'P1', 4: '1234-5^Test^LN', 11: 'G' }),
      'ORC|NW|P2',
      'OBR|2|P2||2345-6^Test 2^LN',
    );
    const [a, c] = all(b, 'ServiceRequest');
    assert.deepEqual([a!.status, a!.intent], ['completed', 'reflex-order']);
    assert.deepEqual([c!.status, c!.intent], ['active', 'order']);
  });

  it('OBX-11: R and S preliminary, I registered, empty unknown, F final; never final for R/I/S', () => {
    const obx = (n: number, s: string) => `OBX|${n}|NM|${n}00-1^T${n}^LN||${n}|mg^^UCUM|||||${s}`;
    const b = map(
      msh('ORU^R01'),
      pid,
      'OBR|1|P1|F1|1^Panel^LN',
      obx(1, 'R'),
      obx(2, 'I'),
      obx(3, 'S'),
      obx(4, ''),
      obx(5, 'F'),
    );
    assert.deepEqual(
      all(b, 'Observation').map((o) => o.status),
      ['preliminary', 'registered', 'preliminary', 'unknown', 'final'],
    );
  });

  it('telecom: XTN-12 before XTN-1, PID-40 added', () => {
    const p = one(
      map(
        msh('ADT^A28'),
        seg('PID', {
          1: '1',
          3: 'M1^^^KTH^MR',
          5: 'Osman^Amna',
          13: '(0912) 345^PRN^PH^^^^^^^^^+249912345678',
          40: '0155^WPN^PH',
        }),
      ),
      'Patient',
    );
    assert.deepEqual(
      p.telecom.map((t: R) => t.value),
      ['+249912345678', '0155'],
    );
  });

  it('PV1 locations 3/6/11/42/43 with their statuses and PV1-52 as a PART participant', () => {
    const e = one(
      map(
        msh('ADT^A02'),
        'EVN|A02',
        pid,
        pv1({ 2: 'I', 3: 'W1^1^A', 6: 'W0^9^B', 11: 'XR^1', 42: 'W2^2^C', 43: 'ER^3', 52: 'D77^Hassan^Ali' }),
      ),
      'Encounter',
    );
    assert.deepEqual(
      e.location.map((l: R) => l.status),
      ['active', 'completed', 'active', 'reserved', 'completed'],
    );
    assert.equal(e.location[2].extension[0].valueCodeableConcept.coding[0].code, 'temporary');
    const part = e.participant.find((p: R) => p.type[0].coding[0].code === 'PART');
    assert.equal(part.individual.identifier.value, 'D77');
  });

  it('OBR-8 makes effectivePeriod; OBX-19 the analysis time extension; OBX-23 a performing organisation', () => {
    const b = map(
      msh('ORU^R01'),
      pid,
      'OBR|1|P1|F1|1^Panel^LN|||202603010800|202603010900',
      seg('OBX', {
        1: '1',
        2: 'NM',
        3: '2093-3^Chol^LN',
        5: '5',
        6: 'mmol/L^^UCUM',
        11: 'F',
        19: '202603011000',
        23: 'Central Lab^L^^^^KTH',
      }),
    );
    const dr = one(b, 'DiagnosticReport');
    assert.equal(dr.effectiveDateTime, undefined);
    assert.deepEqual(dr.effectivePeriod, { start: '2026-03-01T08:00:00+03:00', end: '2026-03-01T09:00:00+03:00' });
    const o = one(b, 'Observation');
    assert.deepEqual(o.extension, [
      {
        url: 'http://hl7.org/fhir/StructureDefinition/observation-analysis-date-time',
        valueDateTime: '2026-03-01T10:00:00+03:00',
      },
    ]);
    assert.ok(o.performer.some((p: R) => p.display === 'Central Lab'));
  });

  it('NR is a Range; a unit without a coding system is not labelled UCUM', () => {
    const b = map(
      msh('ORU^R01'),
      pid,
      'OBR|1|P1|F1|1^Panel^LN',
      'OBX|1|NR|1-1^Range^LN||3.5^5.0|mmol/L||||||F',
      'OBX|2|NM|2-2^Count^LN||7|cells/uL||||||F',
      'OBX|3|NM|3-3^Mass^LN||70|kg^kilogram^UCUM||||||F',
    );
    const [range, count, mass] = all(b, 'Observation');
    assert.deepEqual(range!.valueRange, { low: { value: 3.5, unit: 'mmol/L' }, high: { value: 5, unit: 'mmol/L' } });
    assert.deepEqual(count!.valueQuantity, { value: 7, unit: 'cells/uL' });
    assert.deepEqual(mass!.valueQuantity, {
      value: 70,
      unit: 'kilogram',
      system: 'http://unitsofmeasure.org',
      code: 'kg',
    });
  });

  it('RXA-21 D is entered-in-error; AL1-5 as text; DG1-21 D entered-in-error', () => {
    const vxu = map(
      msh('VXU^V04'),
      pid,
      'ORC|RE|O1',
      seg('RXA', { 1: '0', 2: '1', 3: '20260301', 4: '20260301', 5: '08^HepB^CVX', 6: '1', 20: 'CP', 21: 'D' }),
    );
    assert.equal(one(vxu, 'Immunization').status, 'entered-in-error');
    const adt = map(
      msh('ADT^A08'),
      'EVN|A08',
      pid,
      pv1({ 2: 'O' }),
      'AL1|1|DA|70618^Penicillin^RXNORM|SV|hives~wheezing',
      seg('DG1', { 1: '1', 3: 'J45^Asthma^I10', 21: 'D' }),
    );
    assert.deepEqual(one(adt, 'AllergyIntolerance').reaction[0].manifestation, [
      { text: 'hives' },
      { text: 'wheezing' },
    ]);
    assert.equal(one(adt, 'Condition').verificationStatus.coding[0].code, 'entered-in-error');
  });

  it('times without an offset are read in the zone of MSH-7, not the site default', () => {
    const e = one(
      map(msh('ADT^A01', '20260301101500-0500'), 'EVN|A01', pid, pv1({ 2: 'I', 44: '202603010900' })),
      'Encounter',
    );
    assert.equal(e.period.start, '2026-03-01T09:00:00-05:00');
    const d = one(
      map(msh('ADT^A01', '20260301101500'), 'EVN|A01', pid, pv1({ 2: 'I', 44: '202603010900' })),
      'Encounter',
    );
    assert.equal(d.period.start, '2026-03-01T09:00:00+02:00');
  });
});
