/**
 * What a message repeats is not written again, against the real FHIR app (PGlite): results for a known patient with
 * the same demographics leave the Patient at its version (no new version, the new report still points at it); a
 * changed demographic field does make a version with the change; an A08 repeating a stored visit leaves the
 * Encounter as it is, and one that changes it still updates it; a result resent under a new control id (MSH-10) leaves
 * its Observation, ServiceRequest and DiagnosticReport at their versions, and a changed OBX-5 makes a version with the
 * change; the ACK is AA every time. The message's Provenance names only what that message wrote: none for a resend
 * that wrote nothing, the one changed Observation for a correction.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { DiagnosticReport, Encounter, Observation, Patient, Provenance, Resource } from '@medplum/fhirtypes';
import type { TestServer } from '../../../../server/testing/test-server.js';
import { processMessage, type InboundDeps } from '../process-message.js';
import { startInboundTestApp, type InboundTestApp } from '../testing/inbound-test-app.js';
import { sameStoredContent } from '../../../../server/fhir/bundle/unchanged-update.js';
import { markerId } from '../applied-marker.js';

const sameJson = (a: object, b: object) => sameStoredContent(a as Resource, b as Resource);

let n = 0;
const msh = (type: string) => `MSH|^~\\&|LAB|KTH|NILE|NC|20260301120000||${type}|UNCH-${++n}|P|2.5.1`;
const pid = (mrn: string, phone = '0912345678') =>
  `PID|1||${mrn}^^^KTH^MR||Ali^Omar^Hassan||19700101|M|||12 Nile St^^Khartoum^^11111^SD||^PRN^PH^^^^^^^^^${phone}`;
const pv1 = (visit: string, room = '101') => `PV1|1|I|W1^${room}^1^KTH||||||||||||||||${visit}^^^KTH^VN`;
const oru = (mrn: string, placer: string, value: string, phone?: string) =>
  [
    msh('ORU^R01'),
    pid(mrn, phone),
    pv1(`V-${mrn}`),
    `ORC|RE|${placer}^KTH`,
    `OBR|1|${placer}^KTH||2345-7^Glucose^LN|||20260301110000|||||||||||||||20260301115000|||F`,
    `OBX|1|NM|2345-7^Glucose^LN||${value}|mg/dL|||||F`,
  ].join('\r');

describe('unchanged resources are not written again (FHIR app on PGlite)', () => {
  let app: InboundTestApp;
  let fhir: TestServer;
  let deps: InboundDeps;

  before(async () => {
    app = await startInboundTestApp();
    ({ fhir, deps } = app);
  });
  after(() => app?.close());

  const patients = async (mrn: string): Promise<Patient[]> =>
    ((await fhir.fhir(`/Patient?identifier=${mrn}`)).body.entry ?? []).map((e: { resource: Patient }) => e.resource);
  const reports = async (mrn: string): Promise<DiagnosticReport[]> =>
    ((await fhir.fhir(`/DiagnosticReport?subject:Patient.identifier=${mrn}`)).body.entry ?? []).map(
      (e: { resource: DiagnosticReport }) => e.resource,
    );

  it('a result for a known patient with the same demographics leaves the Patient at its version', async () => {
    assert.equal((await processMessage(oru('P-UN-1', 'PL-UN-1', '5'), deps)).code, 'AA');
    const [first] = await patients('P-UN-1');
    assert.equal(first?.meta?.versionId, '1');
    const second = await processMessage(oru('P-UN-1', 'PL-UN-2', '6'), deps);
    assert.equal(second.code, 'AA', second.ack);
    const after = await patients('P-UN-1');
    assert.equal(after.length, 1, 'one patient');
    assert.equal(after[0]!.meta?.versionId, '1', 'no new Patient version');
    const history = await fhir.fhir(`/Patient/${first.id}/_history`);
    assert.equal(history.body.total ?? history.body.entry.length, 1);
    const subjects = (await reports('P-UN-1')).map((r) => r.subject?.reference);
    assert.deepEqual(subjects, [`Patient/${first.id}`, `Patient/${first.id}`], 'both reports are for that patient');
  });

  it('a changed demographic field makes a new Patient version with the change', async () => {
    assert.equal((await processMessage(oru('P-UN-1', 'PL-UN-3', '7', '0999999999'), deps)).code, 'AA');
    const [p] = await patients('P-UN-1');
    assert.equal(p?.meta?.versionId, '2');
    assert.ok(JSON.stringify(p?.telecom).includes('0999999999'), JSON.stringify(p?.telecom));
  });

  it('an A08 repeating the stored visit leaves the Encounter; one that changes it updates it', async () => {
    const adt = (room: string) =>
      [msh('ADT^A08'), 'EVN|A08|20260301120000', pid('P-UN-1', '0999999999'), pv1('V-P-UN-1', room)].join('\r');
    const encounter = async (): Promise<Encounter> =>
      (await fhir.fhir('/Encounter?identifier=V-P-UN-1')).body.entry[0].resource;
    assert.equal((await processMessage(adt('101'), deps)).code, 'AA');
    const before = await encounter();
    assert.equal((await processMessage(adt('101'), deps)).code, 'AA');
    assert.equal((await encounter()).meta?.versionId, before.meta?.versionId, 'same visit: no new version');
    assert.equal((await processMessage(adt('202'), deps)).code, 'AA');
    const moved = await encounter();
    assert.equal(Number(moved.meta?.versionId), Number(before.meta?.versionId) + 1);
    assert.ok(JSON.stringify(moved.location).includes('202'), JSON.stringify(moved.location));
    assert.equal((await patients('P-UN-1'))[0]!.meta?.versionId, '2', 'the same demographics again: no version');
  });

  it('a result resent under a new control id writes no new version; a changed OBX-5 makes one with the change', async () => {
    const history = async (path: string): Promise<number> => {
      const h = (await fhir.fhir(`/${path}/_history`)).body;
      return h.total ?? h.entry.length;
    };
    const written = async (mrn: string) => {
      const [report] = await reports(mrn);
      const observation = report!.result![0]!.reference!;
      const order = report!.basedOn![0]!.reference!;
      return { report: `DiagnosticReport/${report!.id}`, observation, order };
    };
    assert.equal((await processMessage(oru('P-UN-2', 'PL-UN-9', '5.5'), deps)).code, 'AA');
    const first = await written('P-UN-2');
    const resent = await processMessage(oru('P-UN-2', 'PL-UN-9', '5.5'), deps);
    assert.equal(resent.code, 'AA', resent.ack);
    assert.equal(resent.duplicate, undefined, 'a new control id: processed, not a duplicate');
    assert.deepEqual(await written('P-UN-2'), first, 'the same resources');
    for (const path of Object.values(first)) assert.equal(await history(path), 1, `${path}: no new version`);
    const changed = await processMessage(oru('P-UN-2', 'PL-UN-9', '6.5'), deps);
    assert.equal(changed.code, 'AA', changed.ack);
    assert.equal(await history(first.observation), 2, 'the changed result: a new version');
    const observation = (await fhir.fhir(`/${first.observation}`)).body as Observation;
    assert.equal(observation.valueQuantity?.value, 6.5);
    assert.equal(await history(first.order), 1, 'the order did not change');
  });

  it("a message's Provenance names only what it wrote: none for a resend that wrote nothing", async () => {
    const provenance = async (messageId: string | undefined) => {
      const r = await fhir.fhir(`/Provenance/${markerId(messageId!)}`);
      return r.status === 200 ? (r.body as Provenance) : undefined;
    };
    const targets = (p: Provenance | undefined) => (p?.target ?? []).map((t) => t.reference).sort();
    const first = await processMessage(oru('P-UN-3', 'PL-UN-30', '4.5'), deps);
    assert.equal(first.code, 'AA', first.ack);
    const [report] = await reports('P-UN-3');
    const observation = report!.result![0]!.reference!;
    const order = report!.basedOn![0]!.reference!;
    const [patient] = await patients('P-UN-3');
    const written = targets(await provenance(first.messageId));
    for (const ref of [`DiagnosticReport/${report!.id}`, observation, order, `Patient/${patient!.id}`])
      assert.ok(written.includes(ref), `the first message wrote ${ref}: ${written.join(', ')}`);

    const resent = await processMessage(oru('P-UN-3', 'PL-UN-30', '4.5'), deps);
    assert.equal(resent.code, 'AA', resent.ack);
    assert.equal(await provenance(resent.messageId), undefined, 'a resend that wrote nothing has no Provenance');

    const corrected = await processMessage(oru('P-UN-3', 'PL-UN-30', '4.7'), deps);
    assert.equal(corrected.code, 'AA', corrected.ack);
    assert.deepEqual(targets(await provenance(corrected.messageId)), [observation], 'only the changed result');
  });

  it('compares JSON with object keys in any order, arrays in order', () => {
    assert.ok(sameJson({ a: 1, b: [1, { c: 'x', d: null }] }, { b: [1, { d: null, c: 'x' }], a: 1 }));
    assert.ok(!sameJson({ a: [1, 2] }, { a: [2, 1] }));
    assert.ok(!sameJson({ a: 1 }, { a: 1, b: 2 }));
    assert.ok(sameJson({ a: 1, b: undefined }, { a: 1 }));
  });
});
