/**
 * Issue 15 items 1 and 8, as an attacker: a doctor's token in patient A's context (patient/*.cruds) and a
 * patient-A token try to change, probe or move patient B's data through every write path — direct, conditional,
 * transaction and batch PATCH / PUT / DELETE / POST. Every attempt is refused before validation, answers the same
 * whatever B's data holds (a JSON Patch `test` is no oracle), shows none of B's values, and leaves B unchanged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { assertNoB, startSecurityWorld, type SecurityWorld } from './testing/security-fixture.js';

type Attempt = { method: string; url: string; body?: unknown; contentType?: string; ifMatch?: string };

/** The same attempt sent directly, as a transaction entry and as a batch entry. */
async function everyPath(w: SecurityWorld, token: string, a: Attempt) {
  const direct = await w.as(token, `/${a.url}`, {
    method: a.method,
    ...(a.body !== undefined ? { rawBody: JSON.stringify(a.body) } : {}),
    headers: {
      ...(a.body !== undefined ? { 'content-type': a.contentType ?? 'application/fhir+json' } : {}),
      ...(a.ifMatch ? { 'if-match': a.ifMatch } : {}),
    },
  });
  const entry = (): Record<string, unknown> => {
    const request = { method: a.method, url: a.url, ...(a.ifMatch ? { ifMatch: a.ifMatch } : {}) };
    if (a.body === undefined) return { request };
    if (a.method === 'PATCH' && Array.isArray(a.body))
      return {
        resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: b64(a.body) },
        request,
      };
    return { resource: a.body, request };
  };
  const transaction = await w.as(token, '/', {
    method: 'POST',
    body: { resourceType: 'Bundle', type: 'transaction', entry: [entry()] },
  });
  const batch = await w.as(token, '/', {
    method: 'POST',
    body: { resourceType: 'Bundle', type: 'batch', entry: [entry()] },
  });
  const batchEntry = (batch.body as Bundle | undefined)?.entry?.[0]?.response;
  return { direct, transaction, batch, batchStatus: Number(String(batchEntry?.status ?? batch.status).slice(0, 3)) };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');

/** Strips what differs between two identical refusals (request ids, timestamps). */
const normalised = (text: string) =>
  text
    .replace(/"id":"[^"]*"/g, '')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<instant>');

describe('security (issue 15 items 1, 8): writes on patient B with tokens of patient A', () => {
  let w: SecurityWorld;
  let doctorInA = '';
  let patientA = '';
  const before15: Record<string, string> = {};

  before(async () => {
    w = await startSecurityWorld();
    doctorInA = await w.token(w.doctor, 'openid fhirUser launch/patient patient/*.cruds', { patient: 'pa' });
    patientA = await w.token(w.patientUser, 'openid fhirUser launch/patient patient/*.rs');
    for (const key of [
      'Patient/pb',
      'Observation/ob-hiv',
      'Observation/ob-vital',
      'Condition/cb',
      'Observation/oa-lab',
    ])
      before15[key] = JSON.stringify(await w.stored(...(key.split('/') as [string, string])));
  });
  after(async () => w?.close());

  async function assertUnchanged() {
    for (const [key, text] of Object.entries(before15))
      assert.equal(JSON.stringify(await w.stored(...(key.split('/') as [string, string]))), text, `${key} changed`);
  }

  function assertRefused(r: Awaited<ReturnType<typeof everyPath>>, what: string, allowed = [403, 404, 405]) {
    for (const [path, res] of [
      ['direct', r.direct],
      ['transaction', r.transaction],
    ] as const) {
      assert.ok(allowed.includes(res.status), `${what} (${path}) → ${res.status}: ${res.text.slice(0, 300)}`);
      assert.equal(res.body?.resourceType, 'OperationOutcome', `${what} (${path})`);
      assertNoB(res.text, `${what} (${path})`);
    }
    assert.ok(allowed.includes(r.batchStatus), `${what} (batch) → ${r.batchStatus}: ${r.batch.text.slice(0, 300)}`);
    assertNoB(r.batch.text, `${what} (batch)`);
  }

  it('item 1: JSON Patch copying "" to /gender of B answers 403 without B’s record, in every path and for both tokens', async () => {
    for (const token of [doctorInA, patientA]) {
      const r = await everyPath(w, token, {
        method: 'PATCH',
        url: 'Patient/pb',
        contentType: 'application/json-patch+json',
        body: [
          { op: 'copy', from: '/birthDate', path: '/gender' },
          { op: 'add', path: '/gender', value: '' },
        ],
      });
      assertRefused(r, 'PATCH Patient/pb');
    }
    await assertUnchanged();
  });

  it('item 1: a JSON Patch `test` on B’s values is no oracle — the answer is the same for a true and a false guess', async () => {
    for (const path of ['direct', 'transaction', 'batch'] as const) {
      const answers: string[] = [];
      for (const guess of ['male', 'female']) {
        const r = await everyPath(w, doctorInA, {
          method: 'PATCH',
          url: 'Patient/pb',
          contentType: 'application/json-patch+json',
          body: [{ op: 'test', path: '/gender', value: guess }],
        });
        assertRefused(r, `test gender=${guess}`);
        answers.push(`${r[path].status} ${normalised(r[path].text)}`);
      }
      assert.equal(answers[0], answers[1], `${path}: a true and a false guess answer differently`);
    }
    // Also for a guess on an Observation's value and through FHIRPath Patch.
    const guesses: string[] = [];
    for (const value of ['B-viral-load-88412', 'nothing']) {
      const r = await everyPath(w, doctorInA, {
        method: 'PATCH',
        url: 'Observation/ob-hiv',
        body: {
          resourceType: 'Parameters',
          parameter: [
            {
              name: 'operation',
              part: [
                { name: 'type', valueCode: 'replace' },
                { name: 'path', valueString: `Observation.where(valueString = '${value}').status` },
                { name: 'value', valueCode: 'amended' },
              ],
            },
          ],
        },
      });
      assertRefused(r, 'FHIRPath Patch Observation/ob-hiv');
      guesses.push(`${r.direct.status} ${normalised(r.direct.text.replaceAll(value, ''))}`);
    }
    assert.equal(guesses[0], guesses[1]);
    await assertUnchanged();
  });

  it('item 1: PUT and DELETE of B’s resources are refused before validation and before If-Match', async () => {
    const attempts: Attempt[] = [
      // Invalid on purpose: validation would answer 422 with details; access must answer first.
      { method: 'PUT', url: 'Patient/pb', body: { resourceType: 'Patient', id: 'pb', gender: 'nonsense', bogus: 1 } },
      { method: 'PUT', url: 'Patient/pb', body: { resourceType: 'Patient', id: 'pb', gender: 'female' } },
      { method: 'PUT', url: 'Patient/pb', body: { resourceType: 'Patient', id: 'pb' }, ifMatch: 'W/"99"' },
      {
        method: 'PUT',
        url: 'Observation/ob-hiv',
        body: {
          resourceType: 'Observation',
          id: 'ob-hiv',
          status: 'final',
          code: { text: 'x' },
          subject: { reference: 'Patient/pa' },
        },
      },
      { method: 'DELETE', url: 'Observation/ob-hiv' },
      { method: 'DELETE', url: 'Observation/ob-hiv', ifMatch: 'W/"7"' },
      { method: 'DELETE', url: 'Condition/cb' },
    ];
    for (const a of attempts) assertRefused(await everyPath(w, doctorInA, a), `${a.method} ${a.url}`);
    // The If-Match answer does not tell B's version: the same as without If-Match.
    const [withEtag, without] = [
      await w.as(doctorInA, '/Observation/ob-hiv', { method: 'DELETE', headers: { 'if-match': 'W/"1"' } }),
      await w.as(doctorInA, '/Observation/ob-hiv', { method: 'DELETE', headers: { 'if-match': 'W/"2"' } }),
    ];
    assert.equal(withEtag.status, without.status);
    assert.equal(normalised(withEtag.text), normalised(without.text));
    await assertUnchanged();
  });

  it('item 1: conditional PATCH / PUT / DELETE never reach B (criteria that match only B’s data)', async () => {
    const attempts: Attempt[] = [
      {
        method: 'PATCH',
        url: 'Patient?identifier=urn:nilecare:mrn|MRN-B-1',
        contentType: 'application/json-patch+json',
        body: [{ op: 'test', path: '/gender', value: 'male' }],
      },
      {
        method: 'PUT',
        url: 'Observation?identifier=urn:nilecare:obs|OBS-B-HIV',
        body: {
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'x' },
          subject: { reference: 'Patient/pb' },
        },
      },
      { method: 'DELETE', url: 'Observation?identifier=urn:nilecare:obs|OBS-B-HIV' },
      { method: 'DELETE', url: 'Condition?subject=Patient/pb' },
      { method: 'DELETE', url: 'Patient?family=Bsecretfamily' },
    ];
    for (const a of attempts) {
      const r = await everyPath(w, doctorInA, a);
      for (const res of [r.direct, r.transaction, r.batch]) assertNoB(res.text, `${a.method} ${a.url}`);
      // Whatever the answer (no match: 204, 412, 403), it is not a change of B.
      assert.ok(r.direct.status !== 200 && r.direct.status !== 201, `${a.method} ${a.url} → ${r.direct.status}`);
    }
    // Probing by conditional criteria: a criterion that matches B answers as one that matches nothing.
    const probe = async (value: string) =>
      (await w.as(doctorInA, `/Observation?identifier=urn:nilecare:obs|${value}`, { method: 'DELETE' })).status;
    assert.equal(await probe('OBS-B-HIV'), await probe('OBS-NOBODY'));
    await assertUnchanged();
    assert.ok(await w.stored('Observation', 'ob-hiv'), 'B’s Observation still there');
  });

  it('item 8: creating for B, or moving A’s data to B, is refused in every path', async () => {
    const forB = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'planted' },
      subject: { reference: 'Patient/pb' },
      performer: [{ reference: 'Patient/pa' }],
    };
    assertRefused(await everyPath(w, doctorInA, { method: 'POST', url: 'Observation', body: forB }), 'create for B');
    const current = (await w.stored('Observation', 'oa-lab')) as Resource;
    const moved = { ...current, subject: { reference: 'Patient/pb' } };
    assertRefused(await everyPath(w, doctorInA, { method: 'PUT', url: 'Observation/oa-lab', body: moved }), 'move A→B');
    assertRefused(
      await everyPath(w, doctorInA, {
        method: 'PATCH',
        url: 'Observation/oa-lab',
        contentType: 'application/json-patch+json',
        body: [{ op: 'replace', path: '/subject/reference', value: 'Patient/pb' }],
      }),
      'patch A→B',
    );
    // A resource that would belong to A and B (subject A, performer B: both Patient compartments) is refused too.
    assertRefused(
      await everyPath(w, doctorInA, {
        method: 'POST',
        url: 'Observation',
        body: { ...forB, subject: { reference: 'Patient/pa' }, performer: [{ reference: 'Patient/pb' }] },
      }),
      'create for A and B',
    );
    const searchB = await w.srv.app.systemClient.request('GET', 'Observation?subject=Patient/pb&code:text=planted');
    assert.equal((searchB.resource as Bundle).entry?.length ?? 0, 0, 'nothing planted in B’s record');
    await assertUnchanged();
  });

  it('a deleted resource of B: no write into its history, and no version count in a 412', async () => {
    const sys = w.srv.app.systemClient;
    await sys.request('PUT', 'Observation/ob-gone', {
      resourceType: 'Observation',
      id: 'ob-gone',
      status: 'final',
      code: { text: 'Bsecret-condition' },
      subject: { reference: 'Patient/pb' },
    });
    await sys.request('DELETE', 'Observation/ob-gone');
    const mine = {
      resourceType: 'Observation',
      id: 'ob-gone',
      status: 'final',
      code: { text: 'planted' },
      subject: { reference: 'Patient/pa' },
    };
    for (const ifMatch of [undefined, 'W/"1"', 'W/"2"']) {
      const r = await everyPath(w, doctorInA, { method: 'PUT', url: 'Observation/ob-gone', body: mine, ifMatch });
      assertRefused(r, `PUT over B's deleted Observation (If-Match ${ifMatch})`, [403]);
      assert.ok(!/version is 2|\(2\)/.test(r.direct.text + r.transaction.text), 'the 412 told the version count');
    }
    const stored = await w.store.read('Observation', 'ob-gone');
    assert.ok(stored?.deleted && stored.versionId === 2, 'B’s deleted Observation got a new version');
  });

  it('conditional references and ifNoneExist in a transaction are no oracle on B’s identifiers', async () => {
    const tx = (entry: Record<string, unknown>) =>
      w.as(doctorInA, '/', { method: 'POST', body: { resourceType: 'Bundle', type: 'transaction', entry: [entry] } });
    const byReference = async (identifier: string) => {
      const r = await tx({
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'probe' },
          subject: { reference: `Patient?identifier=urn:nilecare:mrn|${identifier}` },
        },
        request: { method: 'POST', url: 'Observation' },
      });
      assertNoB(r.text, 'conditional reference');
      return `${r.status} ${normalised(r.text.replaceAll(identifier, 'X'))}`;
    };
    assert.equal(await byReference('MRN-B-1'), await byReference('MRN-NOBODY'));
    const byIfNoneExist = async (identifier: string) => {
      const r = await tx({
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'probe' },
          subject: { reference: 'Patient/pa' },
        },
        request: { method: 'POST', url: 'Observation', ifNoneExist: `identifier=urn:nilecare:obs|${identifier}` },
      });
      assertNoB(r.text, 'ifNoneExist');
      return r.status;
    };
    assert.equal(await byIfNoneExist('OBS-B-HIV'), await byIfNoneExist('OBS-NOBODY-2'));
    await assertUnchanged();
  });

  it('the same writes on A’s own data work (the refusals above are about B, not about writing)', async () => {
    const own = await w.as(doctorInA, '/Observation', {
      method: 'POST',
      body: {
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'own' },
        subject: { reference: 'Patient/pa' },
      },
    });
    assert.equal(own.status, 201, own.text);
    const patched = await w.as(doctorInA, `/Observation/${own.body.id}`, {
      method: 'PATCH',
      rawBody: JSON.stringify([{ op: 'replace', path: '/status', value: 'amended' }]),
      headers: { 'content-type': 'application/json-patch+json' },
    });
    assert.equal(patched.status, 200, patched.text);
    const del = await w.as(doctorInA, `/Observation/${own.body.id}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
  });
});
