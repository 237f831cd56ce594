/**
 * Issue 20 item 1: the audit trail as compact group-committed rows, served as AuditEvent. Every read, search, write
 * and refusal leaves a record that AuditEvent read and search (patient, agent, entity, date, type, subtype, action,
 * outcome) find, and an auth_audit_logs row; a patient-context token never sees the trail of another patient.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { startSecurityWorld, type SecurityWorld } from './security/testing/security-fixture.js';

const events = (b: unknown) => ((b as Bundle).entry ?? []).map((e) => e.resource as AuditEvent);

/** Retries until `check` passes: the records are committed at most a group-commit window after the response. */
async function eventually<T>(fn: () => Promise<T>, check: (v: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (check(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('audit trail (issue 20 item 1): compact rows served as AuditEvent', () => {
  let w: SecurityWorld;
  let doctor = '';
  let patientA = '';
  let auditor = '';
  const start = new Date(Date.now() - 1000).toISOString();
  const trail = async (query: string) => {
    const r = await w.as(auditor, `/AuditEvent?${query}`);
    assert.equal(r.status, 200, r.text.slice(0, 300));
    return events(r.body);
  };

  before(async () => {
    w = await startSecurityWorld();
    doctor = await w.token(w.doctor, 'openid fhirUser user/*.cruds');
    patientA = await w.token(w.patientUser, 'openid fhirUser launch/patient patient/*.rs');
    auditor = await w.token(w.auditor, 'openid fhirUser user/AuditEvent.rs');
  });
  after(async () => w?.close());

  it('every read, search, write and refusal leaves an AuditEvent that search finds by its parameters', async () => {
    const created = await w.as(doctor, '/Patient', {
      method: 'POST',
      body: { resourceType: 'Patient', name: [{ family: 'Audited' }] },
    });
    assert.equal(created.status, 201, created.text.slice(0, 200));
    const newId = String((created.body as { id: string }).id);
    assert.equal((await w.as(doctor, `/Patient/${newId}`)).status, 200);
    assert.equal((await w.as(doctor, '/Observation?patient=pa')).status, 200);
    assert.equal((await w.as(patientA, '/Patient/pb')).status, 403);
    assert.equal((await w.as('not-a-token', '/Patient/pa')).status, 401);

    const creates = await eventually(
      () => trail(`entity=Patient/${newId}&action=C`),
      (l) => l.length === 1,
    );
    assert.equal(creates.length, 1, 'the create');
    assert.equal(creates[0]!.agent[0]?.who?.reference, 'Practitioner/pr-a');
    assert.equal(creates[0]!.outcome, '0');
    const reads = await eventually(
      () => trail(`patient=${newId}&action=R&subtype=read`),
      (l) => l.length === 1,
    );
    assert.equal(reads.length, 1, 'the read, found by patient');
    const searches = await eventually(
      () =>
        trail(`agent=Practitioner/pr-a&subtype=http://hl7.org/fhir/restful-interaction|search-type&date=ge${start}`),
      (l) => l.length >= 1,
    );
    assert.ok(searches.some((e) => e.entity?.[0]?.what?.display === 'Observation'));
    const refusals = await eventually(
      () => trail('entity=Patient/pb&outcome=4'),
      (l) => l.length >= 1,
    );
    assert.equal(refusals[0]!.agent[0]?.who?.reference, 'Patient/pa', 'the refusal names who was refused');
    const unauthenticated = await eventually(
      () => trail(`type=http://dicom.nema.org/resources/ontology/DCM|110114&subtype=authenticate&date=ge${start}`),
      (l) => l.length >= 1,
    );
    assert.equal(unauthenticated[0]!.outcome, '4');
    // a wrong system, a date before the run, an unknown parameter
    assert.deepEqual(await trail(`entity=Patient/${newId}&action=http://example.org|C`), []);
    assert.deepEqual(await trail(`entity=Patient/${newId}&date=lt2000-01-01`), []);
    assert.equal((await w.as(auditor, '/AuditEvent?address=x')).status, 400);

    // read by id and paging, newest first
    const one = await w.as(auditor, `/AuditEvent/${creates[0]!.id}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, creates[0]);
    const page1 = await w.as(auditor, `/AuditEvent?agent=Practitioner/pr-a&_count=2`);
    const next = ((page1.body as Bundle).link ?? []).find((l) => l.relation === 'next')?.url;
    assert.ok(next, 'a next page');
    const page2 = await w.as(auditor, next.slice(next.indexOf('/AuditEvent')));
    const ids = [...events(page1.body), ...events(page2.body)].map((e) => Number(e.id));
    assert.equal(new Set(ids).size, ids.length, 'no event twice across pages');
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
      'newest first',
    );

    // and the auth_audit_logs row of the read
    const [logs] = (await w.fx.db.query(
      "SELECT COUNT(*) AS n FROM auth_audit_logs WHERE action = 'fhir.read' AND resource = ?",
      [`Patient/${newId}`],
    )) as unknown as [Array<{ n: number }>];
    assert.equal(Number(logs[0]!.n), 1);
  });

  it('a patient-context token never reads the AuditEvents of another patient', async () => {
    await w.as(doctor, '/Patient/pb');
    // events about B alone (A's own attempt to read B is about A as well: A sees it)
    const aboutB = await eventually(
      async () => (await trail('patient=pb')).filter((e) => !JSON.stringify(e).includes('Patient/pa')),
      (l) => l.length > 0,
    );
    assert.ok(aboutB.length > 0);
    for (const e of aboutB) {
      const r = await w.as(patientA, `/AuditEvent/${e.id}`);
      assert.ok([403, 404].includes(r.status), `AuditEvent/${e.id} about B → ${r.status}`);
      assert.ok(!r.text.includes('Patient/pb'), 'the refusal names nothing of B');
    }
    for (const query of ['patient=pb', 'entity=Patient/pb', `_id=${aboutB.map((e) => e.id).join(',')}`, '_count=500']) {
      const r = await w.as(patientA, `/AuditEvent?${query}`);
      if (r.status !== 200) {
        assert.equal(r.status, 403, `${query} → ${r.status}`);
        continue;
      }
      const leaked = events(r.body).filter((e) => JSON.stringify(e).includes('Patient/pb'));
      assert.deepEqual(
        leaked.filter((e) => !JSON.stringify(e).includes('Patient/pa')),
        [],
        `${query} shows events about B`,
      );
    }
    // A's own trail is there
    await w.as(patientA, '/Patient/pa');
    const own = await eventually(
      async () => events((await w.as(patientA, '/AuditEvent?patient=pa')).body),
      (l) => l.length > 0,
    );
    assert.ok(own.length > 0, 'a patient sees the events about their own record');
  });
});
