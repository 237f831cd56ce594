/**
 * Orders are one ServiceRequest per OBR (the IG's map), against the real FHIR app (PGlite): an ORU whose OBRs share
 * one placer number stores one order per panel; a later result for one panel updates that panel's order only; an
 * ORC without OBR (cancel of the whole order) reaches every panel and keeps their codes; an order stored under the
 * earlier key (patient + placer number) is found again, not duplicated; another patient's equal placer number is
 * never touched.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceRequest } from '@medplum/fhirtypes';
import type { TestServer } from '../../../server/testing/test-server.js';
import { stableUuid } from '../mapping/identity.js';
import { processMessage, type InboundDeps } from './process-message.js';
import { startInboundTestApp, type InboundTestApp } from './testing/inbound-test-app.js';

let n = 0;
const msh = (type: string) => `MSH|^~\\&|LAB|KTH|NILE|NC|20260301120000||${type}|ORD-${++n}|P|2.5.1`;
const pid = (mrn: string) => `PID|1||${mrn}^^^KTH^MR||Ali^Omar||19700101|M`;
const obr = (i: number, placer: string, code: string) =>
  `OBR|${i}|${placer}^KTH||${code}^Panel ${code}^LN|||20260301110000|||||||||||||||20260301115000|||F`;
const obx = (i: number, code: string, value: string) => `OBX|${i}|NM|${code}^Test^LN||${value}|mg|||||F`;

describe('orders: one ServiceRequest per OBR (FHIR app on PGlite)', () => {
  let app: InboundTestApp;
  let fhir: TestServer;
  let deps: InboundDeps;

  before(async () => {
    app = await startInboundTestApp();
    ({ fhir, deps } = app);
  });
  after(() => app?.close());

  const send = async (...segments: string[]) => (await processMessage(segments.join('\r'), deps)).code;
  const orders = async (placer: string): Promise<ServiceRequest[]> =>
    ((await fhir.fhir(`/ServiceRequest?identifier=${placer}`)).body.entry ?? []).map(
      (e: { resource: ServiceRequest }) => e.resource,
    );
  const codes = (srs: ServiceRequest[]) => srs.map((s) => s.code?.coding?.[0]?.code).sort();

  it('stores one order per OBR of a placer number, and a later result updates only its own panel', async () => {
    assert.equal(
      await send(
        msh('ORU^R01'),
        pid('P-ORD-1'),
        'ORC|RE|PL-1^KTH',
        obr(1, 'PL-1', '57717-1'),
        obx(1, '1-1', '5'),
        'ORC|RE|PL-1^KTH',
        obr(2, 'PL-1', '54090-6'),
        obx(1, '2-1', '6'),
        'ORC|RE|PL-1^KTH',
        obr(3, 'PL-1', '54078-1'),
        obx(1, '3-1', '7'),
      ),
      'AA',
    );
    const stored = await orders('PL-1');
    assert.deepEqual(codes(stored), ['54078-1', '54090-6', '57717-1']);
    assert.equal((await fhir.fhir('/DiagnosticReport?subject:Patient.identifier=P-ORD-1')).body.entry.length, 3);
    assert.equal(
      await send(msh('ORU^R01'), pid('P-ORD-1'), 'ORC|RE|PL-1^KTH', obr(1, 'PL-1', '54090-6'), obx(1, '2-1', '9')),
      'AA',
    );
    const after = await orders('PL-1');
    assert.equal(after.length, 3, 'no fourth order');
    const versions = Object.fromEntries(after.map((s) => [s.code!.coding![0]!.code, s.meta!.versionId]));
    assert.equal(versions['57717-1'], stored.find((s) => s.code!.coding![0]!.code === '57717-1')!.meta!.versionId);
  });

  it('a cancel ORC without OBR reaches every panel of the placer number and keeps their codes', async () => {
    assert.equal(await send(msh('ORM^O01'), pid('P-ORD-1'), 'ORC|OC|PL-1^KTH|||CA'), 'AA');
    const after = await orders('PL-1');
    assert.equal(after.length, 3, 'the cancel made no order of its own');
    assert.deepEqual(codes(after), ['54078-1', '54090-6', '57717-1']);
    assert.deepEqual(
      after.map((s) => s.status),
      ['revoked', 'revoked', 'revoked'],
    );
  });

  it('another patient with the same placer number gets orders of its own; the first patient is untouched', async () => {
    const before = await orders('PL-1');
    assert.equal(await send(msh('ORM^O01'), pid('Q-ORD-2'), 'ORC|OC|PL-1^KTH|||CA'), 'AA');
    const after = await orders('PL-1');
    assert.equal(after.length, 4, "Q's cancel is an order of Q's");
    for (const sr of before)
      assert.equal(after.find((s) => s.id === sr.id)!.meta!.versionId, sr.meta!.versionId, 'P orders untouched');
  });

  it('an order stored under the earlier key (patient + placer number) is updated, not duplicated', async () => {
    const legacyId = stableUuid('ServiceRequest', 'P-ORD-3', 'PL-3');
    const put = await fhir.fhir(`/ServiceRequest/${legacyId}`, {
      method: 'PUT',
      body: {
        resourceType: 'ServiceRequest',
        id: legacyId,
        status: 'active',
        intent: 'order',
        identifier: [{ system: 'urn:nilecare:v2:namespace:KTH', value: 'PL-3' }],
        code: { coding: [{ system: 'http://loinc.org', code: '57698-3' }] },
        subject: { reference: 'Patient/x-legacy' },
      },
    });
    assert.ok(put.status < 300, JSON.stringify(put.body));
    assert.equal(
      await send(msh('ORU^R01'), pid('P-ORD-3'), 'ORC|RE|PL-3^KTH', obr(1, 'PL-3', '57698-3'), obx(1, '9-1', '1')),
      'AA',
    );
    const after = await orders('PL-3');
    assert.equal(after.length, 1, after.map((s) => s.id).join());
    assert.deepEqual([after[0]!.id, after[0]!.meta!.versionId, after[0]!.status], [legacyId, '2', 'completed']);
  });
});
