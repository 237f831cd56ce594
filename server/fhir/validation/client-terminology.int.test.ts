/**
 * Validation against what clients made, over HTTP (PGlite): a CodeSystem, a ValueSet over it and a StructureDefinition
 * profile binding Observation.code to that ValueSet, all created through the REST API. Good and bad codes through
 * `$validate` and on write (required → 422), an edit of the ValueSet taking effect at once, an extensible binding
 * (warning only), a ValueSet over a code system this server does not know (a warning saying so), and concurrent
 * writes while the ValueSet changes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { constraintProfile } from './testing/constraint-profile.js';

type Json = Record<string, any>;
const CS = 'http://example.org/cs/wards-findings';
const VS = 'http://example.org/vs/ward-findings-a';
const VS_UNKNOWN_CS = 'http://example.org/vs/over-unknown-system';
const PROFILE = 'http://example.org/StructureDefinition/ward-observation';
const PROFILE_EXT = 'http://example.org/StructureDefinition/ward-observation-extensible';
const PROFILE_UNKNOWN = 'http://example.org/StructureDefinition/ward-observation-unknown-system';

const profile = (url: string, id: string, valueSet: string, strength: string) =>
  constraintProfile({
    type: 'Observation',
    id,
    url,
    name: id.replace(/-/g, ''),
    element: [{ id: 'Observation.code', path: 'Observation.code', binding: { strength, valueSet } }],
  });
/** The client's ValueSet: A and the codes below it, and B when `withB`. */
const wardValueSet = (withB: boolean) => ({
  resourceType: 'ValueSet',
  id: 'ward-findings-a',
  url: VS,
  status: 'active',
  compose: {
    include: [
      { system: CS, filter: [{ property: 'concept', op: 'is-a', value: 'A' }] },
      ...(withB ? [{ system: CS, concept: [{ code: 'B' }] }] : []),
    ],
  },
});
const obs = (code: string, profiles: string[], system = CS) => ({
  resourceType: 'Observation',
  ...(profiles.length > 0 ? { meta: { profile: profiles } } : {}),
  status: 'final',
  code: { coding: [{ system, code }] },
});

describe('validation with client-made CodeSystems, ValueSets and profiles (pglite)', () => {
  let server: TestServer;
  let dispose: (() => Promise<void>) | undefined;
  before(async () => {
    const opened = await pgliteTestStore();
    dispose = async () => {
      await opened.store.close().catch(() => undefined);
      await opened.dispose();
    };
    server = await startTestServer(opened.store);
    const put = async (r: Json) => {
      const res = await server.fhir(`${r.resourceType}/${r.id}`, { method: 'PUT', body: r });
      assert.ok(res.status === 201 || res.status === 200, res.text);
    };
    await put({
      resourceType: 'CodeSystem',
      id: 'ward-findings',
      url: CS,
      status: 'active',
      content: 'complete',
      hierarchyMeaning: 'is-a',
      concept: [
        { code: 'A', display: 'Finding A', concept: [{ code: 'A1', display: 'Finding A1' }] },
        { code: 'B', display: 'Finding B' },
      ],
    });
    await put(wardValueSet(false));
    await put({
      resourceType: 'ValueSet',
      id: 'over-unknown-system',
      url: VS_UNKNOWN_CS,
      status: 'active',
      compose: { include: [{ system: 'http://example.org/cs/nowhere' }] },
    });
    await put(profile(PROFILE, 'ward-observation', VS, 'required'));
    await put(profile(PROFILE_EXT, 'ward-observation-extensible', VS, 'extensible'));
    await put(profile(PROFILE_UNKNOWN, 'ward-observation-unknown-system', VS_UNKNOWN_CS, 'required'));
  });
  after(async () => {
    await server?.close();
    await dispose?.();
  });

  const validate = async (resource: Json, profileUrl?: string) => {
    const q = profileUrl ? `?profile=${encodeURIComponent(profileUrl)}` : '';
    const res = await server.fhir(`Observation/$validate${q}`, { method: 'POST', body: resource });
    assert.equal(res.status, 200, res.text);
    return res.body.issue as Json[];
  };
  const errors = (issues: Json[]) => issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  const create = (resource: Json) => server.fhir('Observation', { method: 'POST', body: resource });

  it('$validate: a code in the client ValueSet passes, one outside is an error naming the value set', async () => {
    assert.deepEqual(errors(await validate(obs('A1', [PROFILE]))), []);
    assert.deepEqual(errors(await validate(obs('A', []), PROFILE)), [], 'profile asked for by the caller');
    const bad = errors(await validate(obs('B', [PROFILE])));
    assert.equal(bad.length, 1, JSON.stringify(bad));
    assert.match(bad[0]!.details.text, /B/);
    assert.match(bad[0]!.details.text, /ward-findings-a/);
    assert.equal(bad[0]!.code, 'code-invalid');
    assert.deepEqual(bad[0]!.expression, ['Observation.code']);
    const unknownCode = errors(await validate(obs('ZZ', [PROFILE])));
    assert.equal(unknownCode.length, 1, 'a code the code system does not have');
    const otherSystem = errors(await validate(obs('A1', [PROFILE], 'http://example.org/cs/other')));
    assert.equal(otherSystem.length, 1, 'the right code in another system');
  });

  it('on write: required binding to the client ValueSet → 422 for a bad code, 201 for a good one', async () => {
    const good = await create(obs('A1', [PROFILE]));
    assert.equal(good.status, 201, good.text);
    const bad = await create(obs('B', [PROFILE]));
    assert.equal(bad.status, 422, bad.text);
    assert.match(bad.text, /ward-findings-a/);
    const inBatch = await server.fhir('', {
      method: 'POST',
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ request: { method: 'POST', url: 'Observation' }, resource: obs('B', [PROFILE]) }],
      },
    });
    assert.ok(inBatch.status === 422 || inBatch.status === 400, inBatch.text);
  });

  it('an edit of the ValueSet (and of the profile) takes effect at once, without a restart', async () => {
    assert.equal((await create(obs('B', [PROFILE]))).status, 422);
    const edited = await server.fhir('ValueSet/ward-findings-a', { method: 'PUT', body: wardValueSet(true) });
    assert.equal(edited.status, 200, edited.text);
    const now = await create(obs('B', [PROFILE]));
    assert.equal(now.status, 201, now.text);
    // the profile now binds to the value set over an unknown system: B is no longer checked against VS
    const p = await server.fhir('StructureDefinition/ward-observation', {
      method: 'PUT',
      body: profile(PROFILE, 'ward-observation', 'http://example.org/vs/only-b-none', 'required'),
    });
    assert.equal(p.status, 200, p.text);
    assert.deepEqual(errors(await validate(obs('ZZ', [PROFILE]))), [], 'an unknown value set is not checked');
    const back = await server.fhir('StructureDefinition/ward-observation', {
      method: 'PUT',
      body: profile(PROFILE, 'ward-observation', VS, 'required'),
    });
    assert.equal(back.status, 200, back.text);
    assert.equal(errors(await validate(obs('ZZ', [PROFILE]))).length, 1);
  });

  it('extensible binding: a code outside the client ValueSet is a warning, the write goes through', async () => {
    const issues = await validate(obs('ZZ', [PROFILE_EXT]));
    assert.deepEqual(errors(issues), []);
    assert.ok(
      issues.some((i) => i.severity === 'warning' && /ward-findings-a/.test(i.details?.text ?? '')),
      JSON.stringify(issues),
    );
    assert.equal((await create(obs('ZZ', [PROFILE_EXT]))).status, 201);
  });

  it('a ValueSet over a code system this server does not know: a warning that says so', async () => {
    const issues = await validate(obs('X', [PROFILE_UNKNOWN], 'http://example.org/cs/nowhere'));
    assert.deepEqual(errors(issues), []);
    const warning = issues.find((i) => i.severity === 'warning' && /cs\/nowhere/.test(i.details?.text ?? ''));
    assert.ok(warning, JSON.stringify(issues));
    assert.match(warning.details.text, /could not be checked/);
    assert.match(warning.details.text, /over-unknown-system/);
  });

  it('a profile named in meta.profile that nobody made is still only a warning', async () => {
    const issues = await validate(obs('A1', ['http://example.org/StructureDefinition/none']));
    assert.deepEqual(errors(issues), []);
    assert.ok(issues.some((i) => /not loaded/.test(i.details?.text ?? '')));
  });

  it('concurrent writes of good and bad codes while the ValueSet is rewritten: each answered by a version', async () => {
    // the ValueSet alternates between "A and below" and "A and below, plus B"; A1 is in both, ZZ in neither
    const results = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) =>
        server.fhir('ValueSet/ward-findings-a', { method: 'PUT', body: wardValueSet(i % 2 === 0) }),
      ),
      ...Array.from({ length: 8 }, () => create(obs('A1', [PROFILE]))),
      ...Array.from({ length: 8 }, () => create(obs('ZZ', [PROFILE]))),
    ]);
    for (const r of results.slice(0, 6)) assert.ok(r.status === 200 || r.status === 409 || r.status === 412, r.text);
    for (const r of results.slice(6, 14)) assert.equal(r.status, 201, r.text);
    for (const r of results.slice(14)) assert.equal(r.status, 422, r.text);
  });
});
