/**
 * Patient and encounter identity against the real FHIR app (PGlite): a visit number is one patient's, encounter
 * status only moves forward, a merge moves the prior patient's records and later messages for it follow
 * `replaced-by`, a correction ORU keeps the report's other results.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../../../server/testing/test-server.js';
import { MemoryMessageLog } from '../log/testing/memory-message-log.js';
import { parseMessage } from '../parser/parse-message.js';
import { processMessage, type InboundDeps } from './process-message.js';
import { startInboundTestApp, type InboundTestApp } from './testing/inbound-test-app.js';

let n = 0;
const msh = (type: string, at = '20260301120000') => `MSH|^~\\&|ADT|KTH|NILE|NC|${at}||${type}|ID-${++n}|P|2.5.1`;
const pid = (mrn: string, name = 'Ali^Omar') => `PID|1||${mrn}^^^KTH^MR||${name}||19700101|M`;
/** PV1 with the given fields (PV1-2 patient class, -3 location, -19 visit number, -44 admit, -45 discharge). */
const pv1 = (f: Record<number, string>) => {
  const fields = Array.from({ length: Math.max(...Object.keys(f).map(Number)) + 1 }, (_, i) => f[i] ?? '');
  fields[0] = 'PV1';
  fields[1] = '1';
  return fields.join('|');
};

describe('patient and encounter identity (FHIR app on PGlite)', () => {
  let app: InboundTestApp;
  let fhir: TestServer;
  let deps: InboundDeps;

  before(async () => {
    app = await startInboundTestApp();
    ({ fhir, deps } = app);
  });
  after(() => app?.close());

  const send = async (...segments: string[]) => {
    const r = await processMessage(segments.join('\r'), deps);
    return { ...r, parsed: parseMessage(r.ack!) };
  };
  const one = async (query: string) => {
    const b = (await fhir.fhir(`/${query}`)).body;
    assert.equal(b.entry?.length ?? 0, 1, `${query}: ${b.entry?.length ?? 0} found`);
    return b.entry[0].resource;
  };
  const count = async (query: string) => (await fhir.fhir(`/${query}`)).body.entry?.length ?? 0;

  it("refuses a visit number that is another patient's (AE 205 on PV1-19) and moves nothing", async () => {
    assert.equal(
      (await send(msh('ADT^A01'), 'EVN|A01|20260301120000', pid('P-1'), pv1({ 2: 'I', 3: 'W1^101^1', 19: 'V-100' })))
        .code,
      'AA',
    );
    const enc = await one('Encounter?identifier=V-100');
    const p = await one('Patient?identifier=P-1');
    assert.equal(enc.subject.reference, `Patient/${p.id}`);
    const r = await send(
      msh('ADT^A01'),
      'EVN|A01|20260301130000',
      pid('Q-1', 'Bakri^Huda'),
      pv1({ 2: 'I', 3: 'W2^201^1', 19: 'V-100' }),
    );
    assert.equal(r.code, 'AE');
    assert.equal(r.parsed.get('ERR-3.1'), '205');
    assert.equal(r.parsed.get('ERR-2.3'), '19');
    assert.match(r.parsed.get('ERR-8'), /another patient/);
    const after = await one('Encounter?identifier=V-100');
    assert.deepEqual([after.subject.reference, after.meta.versionId], [`Patient/${p.id}`, '1']);
    assert.equal(await count('Patient?identifier=Q-1'), 0, 'nothing of the refused message was written');
    // An ORU for the right patient reusing the visit number is fine; for the wrong one it is refused too.
    const oru = (mrn: string) => [
      msh('ORU^R01'),
      pid(mrn),
      pv1({ 2: 'I', 19: 'V-100' }),
      'OBR|1|ORD-9|FIL-9|2345-7^Glucose^LN|||20260301140000',
      'OBX|1|NM|2345-7^Glucose^LN||5.5|mmol/L|||||F',
    ];
    assert.equal((await send(...oru('P-1'))).code, 'AA');
    assert.equal((await send(...oru('Q-2'))).code, 'AE');
    assert.equal((await one('Encounter?identifier=V-100')).subject.reference, `Patient/${p.id}`);
  });

  it('keeps a discharged encounter discharged: a late A02 changes nothing, an A08 keeps finished, A13 reopens', async () => {
    const visit = (loc: string, end = '') => pv1({ 2: 'I', 3: loc, 19: 'V-200', 44: '20260301080000', 45: end });
    await send(msh('ADT^A01', '20260301080000'), 'EVN|A01|20260301080000', pid('P-2'), visit('W1^1^1'));
    await send(
      msh('ADT^A03', '20260302100000'),
      'EVN|A03|20260302100000',
      pid('P-2'),
      visit('W1^1^1', '20260302100000'),
    );
    let enc = await one('Encounter?identifier=V-200');
    assert.deepEqual([enc.status, enc.meta.versionId], ['finished', '2']);
    // The transfer of yesterday afternoon arrives late.
    const late = await send(
      msh('ADT^A02', '20260302120000'),
      'EVN|A02|20260301150000|||||20260301150000',
      pid('P-2'),
      visit('W9^9^9'),
    );
    assert.equal(late.code, 'AA');
    assert.match(late.parsed.get('ERR-8'), /before the encounter was closed/);
    enc = await one('Encounter?identifier=V-200');
    assert.deepEqual([enc.status, enc.meta.versionId, enc.location[0].location.display], ['finished', '2', 'W1 1 1']);
    // A demographic update after the discharge keeps it finished (and its end).
    await send(
      msh('ADT^A08', '20260303090000'),
      'EVN|A08|20260303090000',
      pid('P-2', 'Ali^Omar Hassan'),
      visit('W1^1^1'),
    );
    enc = await one('Encounter?identifier=V-200');
    assert.deepEqual([enc.status, enc.period.end], ['finished', '2026-03-02T10:00:00+02:00']);
    // Cancel discharge reopens it.
    await send(msh('ADT^A13', '20260303100000'), 'EVN|A13|20260303100000', pid('P-2'), visit('W1^1^1'));
    assert.equal((await one('Encounter?identifier=V-200')).status, 'in-progress');
  });

  it('merges (A40): the prior patient’s records move to the survivor; later messages for it follow replaced-by', async () => {
    await send(msh('ADT^A04'), pid('OLD-3'), pv1({ 2: 'O', 19: 'V-300' }));
    await send(
      msh('ORU^R01'),
      pid('OLD-3'),
      'OBR|1|ORD-3|FIL-3|2345-7^Glucose^LN|||20260301140000',
      'OBX|1|NM|2345-7^Glucose^LN||6.1|mmol/L|||||F',
    );
    await send(msh('ADT^A04'), pid('NEW-3'), 'PV1|1|O');
    const merge = await send(msh('ADT^A40'), 'EVN|A40|20260302', pid('NEW-3'), 'MRG|OLD-3^^^KTH^MR');
    assert.equal(merge.code, 'AA', merge.parsed.get('MSA-3'));
    const prior = await one('Patient?identifier=OLD-3');
    const survivor = await one('Patient?identifier=NEW-3');
    assert.equal(prior.active, false);
    for (const q of [
      'Encounter?identifier=V-300',
      'Observation?code=2345-7&value-quantity=6.1',
      'DiagnosticReport?identifier=FIL-3',
    ])
      assert.equal((await one(q)).subject.reference, `Patient/${survivor.id}`, q);
    // A later lab result still names the old MRN: it goes to the survivor, with a warning; the retired patient is
    // untouched.
    const later = await send(
      msh('ORU^R01'),
      pid('OLD-3', 'Changed^Name'),
      'OBR|1|ORD-4|FIL-4|718-7^Hemoglobin^LN|||20260303080000',
      'OBX|1|NM|718-7^Hemoglobin^LN||12.9|g/dL|||||F',
    );
    assert.equal(later.code, 'AA');
    assert.match(later.parsed.get('ERR-8'), /merged into Patient\//);
    assert.equal((await one('Observation?code=718-7')).subject.reference, `Patient/${survivor.id}`);
    const priorAfter = await one('Patient?identifier=OLD-3');
    assert.deepEqual([priorAfter.meta.versionId, priorAfter.name[0].family], [prior.meta.versionId, 'Ali']);
    assert.deepEqual(
      deps.log instanceof MemoryMessageLog
        ? deps.log.logs.filter((l) => l.level === 'warning' && /merged into/.test(l.message)).length
        : 0,
      1,
    );
  });

  it('a correction ORU that resends only the changed OBX keeps the report’s other results', async () => {
    const obr = 'OBR|1|ORD-5|FIL-5|24331-1^Lipid panel^LN|||20260301080000||||||||||||||||F';
    await send(
      msh('ORU^R01'),
      pid('P-5'),
      obr,
      'OBX|1|NM|2093-3^Cholesterol^LN||5.2|mmol/L|||||F',
      'OBX|2|NM|2571-8^Triglyceride^LN||1.9|mmol/L|||||F',
      'OBX|3|NM|2085-9^HDL^LN||1.1|mmol/L|||||F',
    );
    const corrected = await send(
      msh('ORU^R01'),
      pid('P-5'),
      obr.replace(/\|F$/, '|C'),
      'OBX|2|NM|2571-8^Triglyceride^LN||1.7|mmol/L|||||C',
    );
    assert.equal(corrected.code, 'AA');
    const report = await one('DiagnosticReport?identifier=FIL-5');
    assert.equal(report.result.length, 3, 'all three results stay on the report');
    const tg = await one('Observation?code=2571-8');
    assert.deepEqual([tg.valueQuantity.value, tg.status], [1.7, 'corrected']);
    assert.equal(report.result.filter((r: { reference: string }) => r.reference === `Observation/${tg.id}`).length, 1);
  });
  it('merge, then a correction for the retired MRN: orders, diagnoses and allergies move too, and the report without numbers of its own is found by its ORC numbers though the correction moves OBR-7', async () => {
    await send(
      msh('ADT^A01'),
      pid('OLD-8'),
      pv1({ 2: 'I', 19: 'V-800' }),
      'AL1|1|DA|70618^Penicillin^RXNORM|SV',
      'DG1|1||I10^Essential hypertension^I10',
    );
    const obr = (status: string, at: string) => {
      const f = Array.from({ length: 26 }, () => '');
      [f[0], f[1], f[4], f[7], f[25]] = ['OBR', '1', '57698-3^Lipid panel with LDL^LN', at, status];
      return f.join('|');
    };
    await send(
      msh('ORU^R01'),
      pid('OLD-8'),
      'ORC|RE|ORD-8|FIL-8',
      obr('F', '20260301080000'),
      'OBX|1|NM|2093-3^Cholesterol^LN||5.2|mmol/L|||||F',
      'OBX|2|NM|2571-8^Triglyceride^LN||1.9|mmol/L|||||F',
      'OBX|3|NM|2085-9^HDL^LN||1.1|mmol/L|||||F',
    );
    await send(msh('ADT^A04'), pid('NEW-8'), 'PV1|1|O');
    assert.equal((await send(msh('ADT^A40'), 'EVN|A40', pid('NEW-8'), 'MRG|OLD-8^^^KTH^MR')).code, 'AA');
    const survivor = `Patient/${(await one('Patient?identifier=NEW-8')).id}`;
    for (const [q, at] of [
      ['ServiceRequest?identifier=ORD-8', 'subject'],
      ['Condition?code=I10', 'subject'],
      ['AllergyIntolerance?code=70618', 'patient'],
      ['DiagnosticReport?code=57698-3', 'subject'],
    ] as const)
      assert.equal((await one(q))[at].reference, survivor, q);
    // The lab corrects one result and the collection time, still naming the retired MRN.
    const corrected = await send(
      msh('ORU^R01'),
      pid('OLD-8'),
      'ORC|RE|ORD-8|FIL-8',
      obr('C', '20260301081500'),
      'OBX|2|NM|2571-8^Triglyceride^LN||1.7|mmol/L|||||C',
    );
    assert.equal(corrected.code, 'AA', corrected.parsed.get('ERR-8'));
    const report = await one('DiagnosticReport?code=57698-3');
    assert.deepEqual([report.status, report.result.length, report.subject.reference], ['corrected', 3, survivor]);
    assert.equal((await one(`Observation?code=2571-8&subject=${survivor}`)).valueQuantity.value, 1.7);
    assert.equal(await count(`Observation?code=2093-3&subject=${survivor}`), 1);
  });
  it('changes a patient identifier on A47 (same Patient), follows an applied change on resend, refuses joining two patients', async () => {
    const mrg = (mrn: string) => `MRG|${mrn}^^^KTH^MR`;
    assert.equal((await send(msh('ADT^A04'), pid('OLD-47'), pv1({ 2: 'O' }))).code, 'AA');
    const before = await one('Patient?identifier=OLD-47');
    const changed = await send(
      msh('ADT^A47^ADT_A30'),
      'EVN|A47|20260301120000',
      pid('NEW-47', 'Ali^Omar'),
      mrg('OLD-47'),
    );
    assert.equal(changed.code, 'AA', changed.parsed.get('ERR-8'));
    const after = await one('Patient?identifier=NEW-47');
    assert.equal(after.id, before.id, 'the same Patient carries the correct identifier');
    assert.equal(await count('Patient?identifier=OLD-47'), 0, 'the incorrect identifier is gone');
    // The change again (another control id): the patient with the new identifier is updated, no second one made.
    assert.equal((await send(msh('ADT^A47'), 'EVN|A47', pid('NEW-47', 'Ali^Omar'), mrg('OLD-47'))).code, 'AA');
    assert.equal(await count('Patient?identifier=NEW-47'), 1);
    // Both identifiers name existing, different patients: that is a merge, not a renaming.
    assert.equal((await send(msh('ADT^A04'), pid('OTHER-47'), pv1({ 2: 'O' }))).code, 'AA');
    const refused = await send(msh('ADT^A47'), 'EVN|A47', pid('NEW-47'), mrg('OTHER-47'));
    assert.equal(refused.code, 'AE');
    assert.equal(refused.parsed.get('ERR-3.1'), '205');
    assert.match(refused.parsed.get('ERR-8'), /merge/);
    assert.equal(await count('Patient?identifier=OTHER-47'), 1);
    assert.equal((await one('Patient?identifier=NEW-47')).id, before.id);
  });
});
