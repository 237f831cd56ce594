/**
 * Issue 15 "done when", beyond the listed items: for EVERY interaction and operation the server's own
 * CapabilityStatement declares (read from GET /metadata, not picked by hand), patient-A tokens of each scope shape
 * — SMART v1 (`patient/*.read`), v2 (`patient/*.rs`), granular v2 (`patient/Observation.rs?category=laboratory`
 * + `patient/Patient.rs`) — and a doctor's write token in A's context get only A's data: an instance interaction or
 * operation on any of B's resources is refused, a type or system level answer holds none of B's resources, and no
 * answer shows any of B's values. A bulk export that starts is followed to its files, which are checked too.
 * At the end the table of attempts (token shape × interaction → statuses) is printed as JSON.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CapabilityStatement } from '@medplum/fhirtypes';
import {
  assertNoB,
  B_KEYS,
  keysOf,
  LAB_SCOPE,
  seedResources,
  startSecurityWorld,
  withoutLinks,
  type SecurityWorld,
} from './testing/security-fixture.js';
import type { FhirTestResponse } from '../../testing/test-server.js';

type Attempt = { label: string; method: string; path: string; body?: unknown; instanceOfB: boolean };

/** B's resource of each type that has one (the instance interactions target it), else an id nobody holds. */
function bIdsByType(): Map<string, string> {
  const ids = new Map<string, string>();
  for (const key of B_KEYS) {
    const [type, id] = key.split('/') as [string, string];
    if (!ids.has(type)) ids.set(type, id);
  }
  return ids;
}

/** Every attempt the CapabilityStatement implies, for one resource type. */
function attemptsFor(type: string, interactions: string[], operations: string[], bId: string | undefined): Attempt[] {
  const id = bId ?? 'nobody-has-this-id';
  const onB = bId !== undefined;
  const out: Attempt[] = [];
  const add = (label: string, method: string, path: string, instanceOfB: boolean, body?: unknown) =>
    out.push({ label: `${type} ${label}`, method, path, instanceOfB, ...(body !== undefined ? { body } : {}) });
  // Instance interactions on a type where B has nothing: one probe of an unknown id is enough (the full set runs on
  // every type where B has a resource) — it keeps the matrix at a few thousand requests.
  const instanceCodes = new Set(['vread', 'history-instance', 'update', 'patch', 'delete']);
  for (const code of interactions) {
    if (!onB && instanceCodes.has(code)) continue;
    switch (code) {
      case 'read':
        add(code, 'GET', `/${type}/${id}`, onB);
        break;
      case 'vread':
        add(code, 'GET', `/${type}/${id}/_history/1`, onB);
        break;
      case 'history-instance':
        add(code, 'GET', `/${type}/${id}/_history`, onB);
        break;
      case 'history-type':
        add(code, 'GET', `/${type}/_history`, false);
        break;
      case 'search-type':
        add(code, 'GET', `/${type}?_include=*&_revinclude=*`, false);
        break;
      case 'update':
        add(code, 'PUT', `/${type}/${id}`, onB, { resourceType: type, id });
        break;
      case 'patch':
        add(code, 'PATCH', `/${type}/${id}`, onB, [{ op: 'test', path: '/id', value: id }]);
        break;
      case 'delete':
        add(code, 'DELETE', `/${type}/${id}`, onB);
        break;
      case 'create':
        add(code, 'POST', `/${type}`, false, { resourceType: type });
        break;
      default:
        add(code, 'GET', `/${type}`, false); // an interaction this test does not know still gets a plain request
    }
  }
  for (const op of operations) {
    add(`$${op} (type)`, 'GET', `/${type}/$${op}`, false);
    if (onB) add(`$${op} (instance)`, 'GET', `/${type}/${bId}/$${op}`, true);
  }
  return out;
}

describe('security (issue 15): every declared interaction and operation × patient-A token shapes', () => {
  let w: SecurityWorld;
  let cap: CapabilityStatement;
  const shapes: Record<string, string> = {};
  const table: Record<string, Record<string, number[]>> = {};

  before(async () => {
    w = await startSecurityWorld();
    shapes['v1 patient/*.read'] = await w.token(w.patientUser, 'openid fhirUser launch/patient patient/*.read');
    shapes['v2 patient/*.rs'] = await w.token(w.patientUser, 'openid fhirUser launch/patient patient/*.rs');
    shapes['granular'] = await w.token(w.patientUser, `openid fhirUser launch/patient patient/Patient.rs ${LAB_SCOPE}`);
    shapes['doctor in A, patient/*.cruds'] = await w.token(w.doctor, 'openid fhirUser launch/patient patient/*.cruds', {
      patient: 'pa',
    });
    cap = (await w.srv.fhir('/metadata')).body as CapabilityStatement;
  });
  after(async () => {
    // The closing table: per token shape and interaction, how often each status was answered.
    const summary: Record<string, Record<string, Record<number, number>>> = {};
    for (const [shape, rows] of Object.entries(table)) {
      summary[shape] = {};
      for (const [label, statuses] of Object.entries(rows)) {
        const counts: Record<number, number> = {};
        for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
        summary[shape][label] = counts;
      }
    }
    if (process.env.SECURITY_TABLE) console.log(JSON.stringify(summary, null, 1));
    await w?.close();
  });

  function note(shape: string, label: string, status: number) {
    const key = label.replace(/^\S+ /, '');
    ((table[shape] ??= {})[key] ??= []).push(status);
  }

  /** A bulk export that was accepted: its files hold nothing of B. */
  async function followExport(token: string, kick: FhirTestResponse, what: string): Promise<void> {
    const poll = kick.headers.get('content-location');
    assert.ok(poll, `${what}: 202 without Content-Location`);
    // a deadline, not a number of polls: on a loaded 2-core machine an export can take well over 10 s
    for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
      const st = await w.as(token, poll);
      if (st.status === 200) {
        for (const o of (st.body as { output: Array<{ url: string }> }).output) {
          const file = await w.as(token, o.url);
          assertNoB(file.text, `${what} file ${o.url}`);
        }
        return;
      }
      if (st.status !== 202) return; // failed or refused: nothing was handed out
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`${what}: export did not finish within 120 s`);
  }

  function checkAnswer(shape: string, a: Attempt, r: FhirTestResponse) {
    const what = `${shape}: ${a.method} ${a.path}`;
    assert.ok(r.status < 500, `${what} → ${r.status}: ${r.text.slice(0, 200)}`);
    assertNoB(withoutLinks(r), what);
    if (a.instanceOfB) assert.ok(r.status >= 400, `${what} → ${r.status} on B's resource`);
    if (r.status === 200 && (r.body as { resourceType?: string })?.resourceType === 'Bundle') {
      const leaked = keysOf(r.body).filter((k) => B_KEYS.includes(k));
      assert.deepEqual(leaked, [], what);
    }
  }

  it('declares what it serves (the matrix below is generated from it)', () => {
    const rest = cap.rest?.[0];
    assert.ok((rest?.resource?.length ?? 0) > 100, 'the CapabilityStatement lists the resource types');
    const seeded = new Set(seedResources().map((r) => r.resourceType));
    for (const t of seeded)
      assert.ok(
        rest?.resource?.some((r) => r.type === t),
        `${t} is declared`,
      );
  });

  it('type and instance level: every declared interaction and operation, every token shape', async () => {
    const bIds = bIdsByType();
    let attempts = 0;
    for (const res of cap.rest?.[0]?.resource ?? []) {
      const type = res.type as string;
      const list = attemptsFor(
        type,
        (res.interaction ?? []).map((i) => i.code as string),
        (res.operation ?? []).map((o) => o.name),
        bIds.get(type),
      );
      for (const [shape, token] of Object.entries(shapes)) {
        for (const a of list) {
          const r = await w.as(token, a.path, {
            method: a.method,
            ...(a.body !== undefined ? { rawBody: JSON.stringify(a.body) } : {}),
            headers: {
              prefer: 'respond-async',
              ...(a.body !== undefined
                ? { 'content-type': a.method === 'PATCH' ? 'application/json-patch+json' : 'application/fhir+json' }
                : {}),
            },
          });
          attempts++;
          note(shape, a.label, r.status);
          checkAnswer(shape, a, r);
          if (r.status === 202) await followExport(token, r, `${shape}: ${a.path}`);
        }
      }
    }
    assert.ok(attempts > 1000, `${attempts} attempts`);
    // Nothing of B changed on the way.
    for (const key of B_KEYS) {
      const [type, id] = key.split('/') as [string, string];
      const stored = await w.store.read(type, id);
      assert.ok(stored && !stored.deleted && stored.versionId === 1, `${key} was changed`);
    }
  });

  it('system level: every declared system interaction and operation, every token shape', async () => {
    const rest = cap.rest?.[0];
    const bundle = (type: string) => ({
      resourceType: 'Bundle',
      type,
      entry: [
        ...B_KEYS.map((url) => ({ request: { method: 'GET', url } })),
        { request: { method: 'DELETE', url: 'Observation/ob-hiv' } },
      ],
    });
    const system: Attempt[] = [];
    for (const { code } of rest?.interaction ?? []) {
      if (code === 'transaction' || code === 'batch')
        system.push({ label: code, method: 'POST', path: '/', body: bundle(code), instanceOfB: false });
      else if (code === 'search-system')
        system.push({
          label: code,
          method: 'GET',
          path: '/?_type=Patient,Observation,Condition,Encounter',
          instanceOfB: false,
        });
      else if (code === 'history-system')
        system.push({ label: code, method: 'GET', path: '/_history', instanceOfB: false });
      else system.push({ label: code, method: 'GET', path: '/', instanceOfB: false });
    }
    for (const op of rest?.operation ?? [])
      system.push({ label: `$${op.name}`, method: 'GET', path: `/$${op.name}`, instanceOfB: false });
    assert.ok(system.length >= 4);
    for (const [shape, token] of Object.entries(shapes)) {
      for (const a of system) {
        const r = await w.as(token, a.path, {
          method: a.method,
          ...(a.body !== undefined ? { body: a.body } : {}),
          headers: { prefer: 'respond-async' },
        });
        note(shape, `system ${a.label}`, r.status);
        checkAnswer(shape, a, r);
        if (a.label === 'transaction') assert.ok(r.status >= 400, `${shape}: a transaction touching B → ${r.status}`);
        if (a.label === 'batch' && r.status === 200)
          for (const e of (r.body as { entry?: Array<{ response?: { status?: string } }> }).entry ?? [])
            assert.ok(!String(e.response?.status).startsWith('2'), `${shape}: batch entry ${e.response?.status}`);
        if (r.status === 202) await followExport(token, r, `${shape}: ${a.path}`);
      }
    }
    assert.ok(await w.store.read('Observation', 'ob-hiv').then((v) => v && !v.deleted));
  });
});
