/**
 * Which resources a message makes, per the IG's message maps (issue 16 item 6, the per-type figures of the golden
 * comparison): VXU orders, REF orders, SIU diagnoses, DFT results, OUL document headers, OMG orders without numbers.
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
const msh = (type: string, id = 'C1') => `MSH|^~\\&|APP|KTH|NILE|NC|20260301101500+0300||${type}|${id}|P|2.8`;
const pid = 'PID|1||M1^^^KTH^MR||Osman^Amna||19900101|F';
/** A segment with the given fields (1-based) set. */
const seg = (name: string, f: Record<number, string>) =>
  Array.from({ length: Math.max(...Object.keys(f).map(Number)) + 1 }, (_, i) => (i === 0 ? name : (f[i] ?? ''))).join(
    '|',
  );
const ids = (r: R) => (r.identifier ?? []).map((i: R) => i.value as string);

describe('IG message maps: resources per message type', () => {
  it('VXU: each ORC is a ServiceRequest with its order numbers (IG VXU_V04 ORC[ServiceRequest]), each RXA an Immunization', () => {
    const b = map(
      msh('VXU^V04'),
      pid,
      'ORC|RE|P-1|F-1',
      'RXA|0|1|20260301||08^HepB^CVX|0.5|mL',
      'ORC|RE|P-2|F-2',
      'RXA|0|1|20260301||10^IPV^CVX|0.5|mL',
    );
    assert.deepEqual(all(b, 'ServiceRequest').map(ids), [
      ['P-1', 'F-1'],
      ['P-2', 'F-2'],
    ]);
    assert.equal(all(b, 'Immunization').length, 2);
  });

  it('REF: RF1 is the referral and each OBR the ServiceRequest it orders, with its report', () => {
    const b = map(
      msh('REF^I12'),
      'RF1|A^Active|R^Routine|Med^Medical|||REF-1',
      pid,
      'OBR|1|PL-9|FL-9|22310-7^Pathology study^LN|||20260301',
      'OBX|1|ST|22310-7^Pathology study^LN||benign||||||F',
    );
    const codes = all(b, 'ServiceRequest').map((r) => r.code?.coding?.[0]?.code ?? r.code?.text);
    assert.deepEqual(codes.sort(), ['22310-7', 'Med']);
    assert.equal(all(b, 'DiagnosticReport').length, 1);
  });

  it('SIU: the PATIENT group’s DG1 is a Condition and its OBX an Observation (IG SIU_S12)', () => {
    const b = map(
      msh('SIU^S12'),
      'SCH|A1|A1||||||||60^min|^^60^20260302100000|||||||||||||||BOOKED',
      pid,
      'OBX|1|NM|8867-4^Heart rate^LN||72|/min^^UCUM|||||F',
      'DG1|1||64766004^Ulcerative colitis^SCT',
    );
    assert.deepEqual(
      all(b, 'Condition').map((c) => c.code.coding[0].code),
      ['64766004'],
    );
    assert.deepEqual(
      all(b, 'Observation').map((o) => o.code.coding[0].code),
      ['8867-4'],
    );
  });

  it('DFT: an OBR whose ORC says results follow (RE) is a DiagnosticReport; one per order even with one service', () => {
    const b = map(
      msh('DFT^P03'),
      'EVN|P03|20260301',
      pid,
      'ORC|RE|PL-1|FL-1||CM',
      seg('OBR', { 1: '1', 4: '57698-3^Lipid panel^LN', 7: '20260301', 25: 'S' }),
      'OBX|1|FT|N1^Notes^L||text one||||||F',
      'FT1|1|||20260301|20260301|CG|71045^Xray^C4',
      'ORC|RE|PL-2|FL-2||CM',
      seg('OBR', { 1: '1', 4: '57698-3^Lipid panel^LN', 7: '20260301', 25: 'S' }),
      'OBX|1|FT|N2^Notes^L||text two||||||F',
      'ORC|NW|PL-3',
      'OBR|1|||24317-0^Hemogram^LN',
      'FT1|2|||20260301|20260301|CG|99011^Visit^C4',
    );
    const reports = all(b, 'DiagnosticReport');
    assert.equal(reports.length, 2, 'two RE orders, two reports (keyed by their ORC numbers), none for the NW order');
    assert.ok(reports.every((r) => r.status === 'registered' && r.result?.length === 1));
  });

  it('OUL: an ED OBX followed by PRT and its TXA takes the TXA’s document type; without a TXA, OBX-3', () => {
    const b = map(
      msh('OUL^R22'),
      pid,
      'SPM|1|S-1&L||SKBP^Biopsy^HL70487',
      'OBR|1|PL-1|FL-1|SCAN^Scan^L',
      'ORC|SC|PL-1|FL-1||CM',
      'OBX|1|ED|IMG^Image^L||^IM^JPEG^Base64^VGhpcyBpcyBhIHRlc3Q=||||||F',
      'PRT||AD||AD||PPT',
      'TXA|1|DIS||20260301',
      'OBX|2|ED|THUMB^Thumbnail^L||^IM^JPEG^Base64^VGhpcyBpcyBhIHRlc3Q=||||||F',
    );
    assert.deepEqual(
      all(b, 'DocumentReference').map((d) => d.type.coding[0].code),
      ['DIS', 'THUMB'],
    );
  });

  it('OMG: two order groups without order numbers, one service, two group numbers (ORC-4): two ServiceRequests', () => {
    const b = map(
      msh('OMG^O19'),
      pid,
      'ORC|SC|||G-1|CM',
      'OBR|1|||57698-3^Lipid panel^LN',
      'ORC|SC|||G-2|HD',
      'OBR|2|||57698-3^Lipid panel^LN',
    );
    assert.deepEqual(
      all(b, 'ServiceRequest').map((s) => s.status),
      ['completed', 'on-hold'],
    );
  });
});
