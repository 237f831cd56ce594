import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, DiagnosticReport, Observation, Patient } from '@medplum/fhirtypes';
import { parseMessage } from '../parser/parse-message.js';
import { loadMappings } from './load-mappings.js';
import { CodeTables } from './code-tables.js';
import { mapMessage } from './mapping-engine.js';
import { MappingError } from './mapping-error.js';

const mappings = loadMappings();
const tables = CodeTables.loadDefaults();
const map = (text: string) => mapMessage(parseMessage(text), mappings, tables);
const resources = <T>(b: Bundle, type: string) =>
  (b.entry ?? []).filter((e) => e.resource?.resourceType === type).map((e) => e.resource as T);

const ORU = [
  'MSH|^~\\&|LAB|KTH^2.16.840.1.1^ISO|NILE|NC|20260301101500+0200||ORU^R01^ORU_R01|R1|P|2.5.1',
  'PID|1||MRN42^^^KTH&2.16.840.1.1&ISO^MR||Ahmed^Musa^K||19800102|M|||12 Nile St^^Khartoum^^11111^SD||0912345678^PRN^PH',
  'OBR|1|PL9^NC|FL9^LAB|24331-1^Lipid panel^LN|||20260301090000+0200|||||||||||||||20260301100000+0200|||F',
  'OBX|1|NM|2093-3^Cholesterol^LN||5.9|mmol/L^mmol/L^UCUM|<5.2|H|||F|||20260301090000+0200',
  'NTE|1||fasting sample',
  'OBX|2|CWE|11557-6^Appearance^LN||LA1-1^Clear^LN||||||F',
  'OBX|3|ST|8251-1^Comment^LN||no lipaemia \\T\\ no haemolysis||||||F',
  'OBX|4|SN|2571-8^Triglyceride^LN||>^10|mmol/L^^UCUM|0.5-1.7|HH|||F',
].join('\r');

describe('mapMessage', () => {
  it('maps PID to a conditional update on PID-3 (system from the assigning authority)', () => {
    const { bundle } = map(ORU);
    const pe = bundle.entry!.find((e) => e.resource?.resourceType === 'Patient')!;
    assert.equal(pe.request!.method, 'PUT');
    assert.equal(pe.request!.url, 'Patient?identifier=urn%3Aoid%3A2.16.840.1.1|MRN42');
    const p = pe.resource as Patient;
    assert.deepEqual(p.name?.[0], { family: 'Ahmed', given: ['Musa', 'K'] });
    assert.equal(p.gender, 'male');
    assert.equal(p.birthDate, '1980-01-02');
    assert.equal(p.address?.[0]?.city, 'Khartoum');
    assert.deepEqual(p.telecom?.[0], { system: 'phone', value: '0912345678', use: 'home' });
  });

  it('maps ORU^R01 to a DiagnosticReport whose results are the Observations, with values, units, ranges, flags and notes', () => {
    const { bundle } = map(ORU);
    const [report] = resources<DiagnosticReport>(bundle, 'DiagnosticReport');
    const obs = resources<Observation>(bundle, 'Observation');
    assert.equal(obs.length, 4);
    assert.equal(report!.status, 'final');
    assert.equal(report!.code.coding?.[0]?.system, 'http://loinc.org');
    const obsUrls = bundle.entry!.filter((e) => e.resource?.resourceType === 'Observation').map((e) => e.fullUrl);
    assert.deepEqual(
      report!.result?.map((r) => r.reference),
      obsUrls,
    );
    const [chol, appearance, comment, tg] = obs as [Observation, Observation, Observation, Observation];
    assert.deepEqual(chol.valueQuantity, {
      value: 5.9,
      unit: 'mmol/L',
      system: 'http://unitsofmeasure.org',
      code: 'mmol/L',
    });
    assert.equal(chol.referenceRange?.[0]?.high?.value, 5.2);
    assert.equal(chol.interpretation?.[0]?.coding?.[0]?.code, 'H');
    assert.equal(
      chol.interpretation?.[0]?.coding?.[0]?.system,
      'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
    );
    assert.deepEqual(chol.note, [{ text: 'fasting sample' }]);
    assert.equal(chol.effectiveDateTime, '2026-03-01T09:00:00+02:00');
    assert.equal(appearance.valueCodeableConcept?.coding?.[0]?.code, 'LA1-1');
    assert.equal(comment.valueString, 'no lipaemia & no haemolysis');
    assert.deepEqual(tg.valueQuantity, {
      value: 10,
      unit: 'mmol/L',
      system: 'http://unitsofmeasure.org',
      code: 'mmol/L',
      comparator: '>',
    });
    assert.deepEqual([tg.referenceRange?.[0]?.low?.value, tg.referenceRange?.[0]?.high?.value], [0.5, 1.7]);
    assert.ok(chol.subject?.reference?.startsWith('urn:uuid:'));
  });

  it('gives the same ids to the same message twice (repeats update) and different ids to different results', () => {
    const a = map(ORU).bundle;
    const b = map(ORU.replace('|R1|', '|R2|')).bundle;
    const urls = (x: Bundle) => x.entry!.map((e) => e.request!.url);
    assert.deepEqual(urls(a), urls(b));
    const c = map(ORU.replace('FL9^LAB', 'FL10^LAB')).bundle;
    assert.notDeepEqual(
      urls(a).filter((u) => u?.startsWith('Observation')),
      urls(c).filter((u) => u?.startsWith('Observation')),
    );
  });

  it('rejects a non-numeric NM value with the OBX location (AE material)', () => {
    assert.throws(
      () => map(ORU.replace('||5.9|', '||five|')),
      (e: unknown) =>
        e instanceof MappingError &&
        e.code === '102' &&
        e.location.segment === 'OBX' &&
        e.location.field === 5 &&
        e.location.sequence === 4,
    );
  });

  it('drops a malformed non-essential field with a warning instead of rejecting', () => {
    const r = map(ORU.replace('|19800102|', '|DOB|'));
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!.message, /PID-7/);
    assert.equal(resources<Patient>(r.bundle, 'Patient')[0]!.birthDate, undefined);
  });

  it('rejects unsupported message types and events, and messages without the required segments', () => {
    assert.throws(
      () => map('MSH|^~\\&|A|B|||||ZZZ^Z01|1|P|2.5\rPID|1||1'),
      (e: unknown) => e instanceof MappingError && e.code === '200',
    );
    assert.throws(
      () => map('MSH|^~\\&|A|B|||||ADT^A99|1|P|2.5\rPID|1||1'),
      (e: unknown) => e instanceof MappingError && e.code === '201',
    );
    assert.throws(() => map('MSH|^~\\&|A|B|||||ADT^A01|1|P|2.5\rPID|1||1'), /requires a PV1/);
    assert.throws(() => map('MSH|^~\\&|A|B|||||ADT^A01|1|P|2.5\rPID|1||\rPV1|1|I'), /PID-4 is required|identify/);
  });

  it('maps ADT^A03 to a finished Encounter and an A40 merge to a link plus a FHIRPath Patch of the prior patient', () => {
    const adt =
      'MSH|^~\\&|ADT|KTH|||20260301||ADT^A03|A3|P|2.5\rPID|1||M1^^^KTH||Doe^Jane\rPV1|1|I|W1^R2^B3||||||||||||||||V77^^^KTH|||||||||||||||||||||||||20260201|20260301';
    const enc = map(adt).bundle.entry!.find((e) => e.resource?.resourceType === 'Encounter')!;
    assert.equal((enc.resource as { status: string }).status, 'finished');
    assert.equal(enc.request!.url, 'Encounter?identifier=urn%3Anilecare%3Av2%3Anamespace%3AKTH|V77');
    const merge = map(
      'MSH|^~\\&|ADT|KTH|||20260301||ADT^A40|M9|P|2.5\rPID|1||NEW1^^^KTH||Doe^Jane\rMRG|OLD1^^^KTH',
    ).bundle;
    const survivor = merge.entry![0]!.resource as Patient;
    assert.deepEqual(survivor.link, [
      { other: { reference: 'Patient?identifier=urn%3Anilecare%3Av2%3Anamespace%3AKTH|OLD1' }, type: 'replaces' },
    ]);
    assert.equal(merge.entry![1]!.request!.method, 'PATCH');
    assert.equal(merge.entry![1]!.request!.url, 'Patient?identifier=urn%3Anilecare%3Av2%3Anamespace%3AKTH|OLD1');
  });

  it('uses site overrides of the code tables (fhir_mappings) without a release', () => {
    const t2 = tables.withOverrides([{ table: 'AdministrativeSex', source: 'M', target: { code: 'other' } }]);
    const p = mapMessage(parseMessage(ORU), mappings, t2).bundle.entry![0]!.resource as Patient;
    assert.equal(p.gender, 'other');
  });
});
