/**
 * Issue 15 items 3, 4 and 11, as an attacker with patient-A tokens (v1, v2 and granular scopes): every path that
 * returns resources — read, vread, search with includes, $everything, $export, history at three levels, batch and
 * transaction responses — passes the read decision of a direct read; granular scopes hold in history; history
 * shows no total to a restricted reader; the shared resources A's record refers to (Practitioner, Organization,
 * Location, Medication) are readable, those only B's record refers to are not.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle } from '@medplum/fhirtypes';
import {
  assertNoB,
  B_KEYS,
  keysOf,
  LAB_SCOPE,
  startSecurityWorld,
  withoutLinks,
  type SecurityWorld,
} from './testing/security-fixture.js';

describe('security (issue 15 items 3, 4, 11): what patient-A tokens can read', () => {
  let w: SecurityWorld;
  let v2 = '';
  let v1 = '';
  let lab = '';
  let doctorLabInA = '';

  before(async () => {
    w = await startSecurityWorld();
    v2 = await w.token(w.patientUser, 'openid fhirUser launch/patient patient/*.rs');
    v1 = await w.token(w.patientUser, 'openid fhirUser launch/patient patient/*.read');
    lab = await w.token(w.patientUser, `openid launch/patient patient/Patient.rs ${LAB_SCOPE}`);
    doctorLabInA = await w.token(w.doctor, `openid launch/patient ${LAB_SCOPE}`, { patient: 'pa' });
    // B's HIV result gets a second version, so that its history has something to count.
    const hiv = await w.stored('Observation', 'ob-hiv');
    await w.srv.app.systemClient.request('PUT', 'Observation/ob-hiv', { ...hiv, status: 'amended' });
  });
  after(async () => w?.close());

  const tokens = () => ({ v2, v1, lab, doctorLabInA });

  it('item 3: $everything of A leaves out B’s Binary that A’s Observation refers to (a direct read is refused too)', async () => {
    for (const [name, tok] of Object.entries({ v2, v1 })) {
      assert.equal((await w.as(tok, '/Binary/bin-b')).status, 403, name);
      const ev = await w.as(tok, '/Patient/pa/$everything');
      assert.equal(ev.status, 200, ev.text.slice(0, 300));
      const keys = keysOf(ev.body);
      assert.ok(keys.includes('Observation/oa-vital'), `${name}: ${keys.join(',')}`);
      assert.ok(!keys.some((k) => B_KEYS.includes(k)), `${name}: ${keys.join(',')}`);
      assertNoB(ev.text, `${name} $everything`);
    }
  });

  it('item 3: _include / _revinclude / :iterate add nothing of B', async () => {
    for (const [name, tok] of Object.entries(tokens())) {
      for (const q of [
        '/Observation?_include=Observation:focus&_include=Observation:subject&_include=Observation:performer',
        '/Observation?_include=*',
        '/Patient?_revinclude=Observation:subject&_revinclude=Encounter:subject&_include:iterate=Encounter:participant',
        '/Binary?_id=bin-b',
        '/Practitioner?_revinclude=Patient:general-practitioner',
      ]) {
        const r = await w.as(tok, q);
        assertNoB(r.text, `${name} ${q}`);
        if (r.status === 200) {
          const keys = keysOf(r.body as Bundle);
          assert.ok(!keys.some((k) => B_KEYS.includes(k)), `${name} ${q}: ${keys.join(',')}`);
        }
      }
    }
  });

  it('item 3: batch and transaction responses pass the read decision (GET entries and return=representation)', async () => {
    const bundle = (type: string) => ({
      resourceType: 'Bundle',
      type,
      entry: [
        ...B_KEYS.map((url) => ({ request: { method: 'GET', url } })),
        { request: { method: 'GET', url: 'Observation?subject=Patient/pb' } },
        { request: { method: 'GET', url: 'Observation/ob-hiv/_history' } },
        { request: { method: 'GET', url: 'Patient/pb/$everything' } },
      ],
    });
    for (const [name, tok] of Object.entries(tokens())) {
      for (const type of ['batch', 'transaction']) {
        const r = await w.as(tok, '/', {
          method: 'POST',
          body: bundle(type),
          headers: { prefer: 'return=representation' },
        });
        assertNoB(r.text, `${name} ${type}`);
      }
    }
  });

  it('item 4: history honours granular scopes at instance, type and system level', async () => {
    // The doctor's lab-only token in A's context: B's HIV result (laboratory) through its instance history.
    const inst = await w.as(doctorLabInA, '/Observation/ob-hiv/_history');
    assert.equal(inst.status, 403, inst.text.slice(0, 300));
    assertNoB(inst.text, 'instance history of B’s HIV result');
    assert.equal((await w.as(doctorLabInA, '/Observation/ob-hiv/_history/1')).status, 403);
    // A's vitals are not laboratory: refused to the lab-only tokens at every level.
    for (const tok of [lab, doctorLabInA]) {
      assert.equal((await w.as(tok, '/Observation/oa-vital/_history')).status, 403);
      assert.equal((await w.as(tok, '/Observation/oa-vital/_history/1')).status, 403);
      for (const path of ['/Observation/_history', '/_history']) {
        const r = await w.as(tok, path);
        assertNoB(r.text, path);
        // System history needs history on every type: a lab-only token is refused it outright.
        if (path === '/_history' && r.status === 403) continue;
        assert.equal(r.status, 200, r.text.slice(0, 200));
        const keys = keysOf(r.body);
        assert.ok(keys.includes('Observation/oa-lab'), `${path}: ${keys.join(',')}`);
        assert.ok(!keys.includes('Observation/oa-vital'), `${path} shows vitals to a lab-only token`);
        assert.ok(!keys.some((k) => B_KEYS.includes(k)), `${path}: ${keys.join(',')}`);
        assertNoB(r.text, path);
      }
    }
  });

  it('item 4: history shows no total to a restricted reader, and a refusal tells no version count', async () => {
    for (const [name, tok] of Object.entries(tokens())) {
      for (const path of ['/_history', '/Observation/_history', '/Patient/pa/_history']) {
        const r = await w.as(tok, path);
        if (r.status !== 200) continue;
        assert.equal((r.body as Bundle).total, undefined, `${name} ${path} tells a total`);
      }
      // B's HIV result has 2 versions, B's vital sign 1: the refusals are identical.
      const two = await w.as(tok, '/Observation/ob-hiv/_history');
      const one = await w.as(tok, '/Observation/ob-vital/_history');
      assert.equal(two.status, one.status, name);
      assert.equal(two.text.replaceAll('ob-hiv', 'X'), one.text.replaceAll('ob-vital', 'X'), name);
    }
  });

  it('item 11: the Practitioner, Organization, Location and Medication of A’s record are readable; B’s doctor is not', async () => {
    for (const [name, tok] of Object.entries({ v2, v1 })) {
      for (const key of ['Practitioner/pr-a', 'Organization/org-a', 'Location/loc-a', 'Medication/med-a']) {
        const r = await w.as(tok, `/${key}`);
        assert.equal(r.status, 200, `${name} ${key} → ${r.status}: ${r.text.slice(0, 200)}`);
      }
      const prB = await w.as(tok, '/Practitioner/pr-b');
      assert.equal(prB.status, 403, `${name} Practitioner/pr-b`);
      assertNoB(prB.text, 'Practitioner/pr-b');
      // The refusal is audited (an AuditEvent in A's compartment naming Practitioner/pr-b): trying must not open it.
      for (let i = 0; i < 100; i++) {
        const trail = await w.srv.app.systemClient.request('GET', 'AuditEvent?entity=Practitioner/pr-b&_count=1');
        if (((trail.resource as Bundle).entry ?? []).length > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal((await w.as(tok, '/Practitioner/pr-b')).status, 403, `${name} Practitioner/pr-b after its audit`);
      const search = await w.as(tok, '/Practitioner');
      assert.deepEqual(keysOf(search.body), ['Practitioner/pr-a'], `${name} Practitioner search`);
      const chained = await w.as(tok, '/Practitioner?name=Bsecret-doctor');
      assert.deepEqual(keysOf(chained.body), [], `${name} search by B's doctor's name`);
    }
  });

  it('direct reads, vreads and searches of B stay refused for every token shape', async () => {
    for (const [name, tok] of Object.entries(tokens())) {
      for (const key of B_KEYS) {
        const r = await w.as(tok, `/${key}`);
        assert.ok([403, 404].includes(r.status), `${name} ${key} → ${r.status}`);
        assertNoB(r.text, `${name} ${key}`);
        const v = await w.as(tok, `/${key}/_history/1`);
        assert.ok([403, 404].includes(v.status), `${name} ${key}/_history/1 → ${v.status}`);
        assertNoB(v.text, `${name} vread ${key}`);
      }
      for (const q of [
        '/Observation?subject=Patient/pb',
        '/Observation?subject:Patient.family=Bsecretfamily',
        '/Patient?_has:Observation:subject:code:text=HIV',
        '/Patient/pb/Observation',
        '/Condition',
        '/?_type=Patient,Observation,Condition,Binary',
      ]) {
        const r = await w.as(tok, q);
        assertNoB(withoutLinks(r), `${name} ${q}`);
        if (r.status === 200) assert.ok(!keysOf(r.body).some((k) => B_KEYS.includes(k)), `${name} ${q}`);
      }
    }
  });
});
