/**
 * Issue 15 item 3: every resource $everything and $export return passes the read decision. Patient A's record
 * refers to patient B's Binary, Patient and Observation; with a patient-A token (the SMART policy of
 * `patient/*.rs` in A's context) no byte of B appears in any answer — while a direct read of each is refused.
 */
import { it, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { keyOf, collectBundles, runExportTo, type BulkHarness, type Json } from './bulk-harness.js';

const SECRETS = ['BRAVO-SECRET-NAME', 'BRAVO-SECRET-MRN', 'BRAVO-SECRET-RESULT', 'QlJBVk8tU0VDUkVULUJJTkFSWQ=='];

export function bulkAccessTests(h: () => BulkHarness): void {
  const tag = randomUUID().slice(0, 8);
  const A = `acc-a-${tag}`;
  const B = `acc-b-${tag}`;
  const bKeys = [`Patient/${B}`, `Binary/bin-${B}`, `Observation/obs-${B}`];
  let groupId = '';

  before(async () => {
    const seed: Json[] = [
      { resourceType: 'Patient', id: A, name: [{ family: 'Alpha' }] },
      {
        resourceType: 'Patient',
        id: B,
        name: [{ family: 'BRAVO-SECRET-NAME' }],
        identifier: [{ system: 'urn:mrn', value: 'BRAVO-SECRET-MRN' }],
      },
      {
        resourceType: 'Binary',
        id: `bin-${B}`,
        contentType: 'text/plain',
        securityContext: { reference: `Patient/${B}` },
        data: 'QlJBVk8tU0VDUkVULUJJTkFSWQ==',
      },
      {
        resourceType: 'Observation',
        id: `obs-${B}`,
        status: 'final',
        code: { text: 'BRAVO-SECRET-RESULT' },
        subject: { reference: `Patient/${B}` },
      },
      {
        resourceType: 'Observation',
        id: `obs-${A}`,
        status: 'final',
        category: [
          { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] },
        ],
        code: { text: 'alpha result' },
        subject: { reference: `Patient/${A}` },
        focus: [{ reference: `Binary/bin-${B}` }, { reference: `Patient/${B}` }],
        hasMember: [{ reference: `Observation/obs-${B}` }],
      },
      {
        resourceType: 'Observation',
        id: `vital-${A}`,
        status: 'final',
        category: [
          { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
        ],
        code: { text: 'alpha vital' },
        subject: { reference: `Patient/${A}` },
      },
    ];
    for (const r of seed) {
      const res = await h().server.fhir(`/${r.resourceType}/${r.id}`, { method: 'PUT', body: r });
      assert.ok([200, 201].includes(res.status), `${keyOf(r)}: ${res.text.slice(0, 300)}`);
    }
    const group = await h().server.fhir('/Group', {
      method: 'POST',
      body: {
        resourceType: 'Group',
        type: 'person',
        actual: true,
        member: [{ entity: { reference: `Patient/${A}` } }, { entity: { reference: `Patient/${B}` } }],
      },
    });
    assert.equal(group.status, 201);
    groupId = group.body.id;
  });

  const noByteOfB = (label: string, text: string) => {
    for (const s of [...SECRETS, ...bKeys.map((k) => `"id":"${k.split('/')[1]}"`)])
      assert.ok(!text.includes(s), `${label}: ${s} appears in the answer`);
  };

  it('patient-A token: direct reads of B are refused, and $everything of A carries no byte of B', async () => {
    const asA = h().asPatient(A);
    for (const k of bKeys) assert.equal((await h().server.fhir(`/${k}`, { headers: asA })).status, 403, k);
    const pages = await collectBundles(h().server, `/Patient/${A}/$everything`, asA);
    const text = JSON.stringify(pages);
    noByteOfB('$everything', text);
    const keys = pages.flatMap((p) => (p.entry ?? []).map((e: Json) => keyOf(e.resource)));
    assert.ok(keys.includes(`Observation/obs-${A}`), 'A’s own record is there');
    for (const k of bKeys) assert.ok(!keys.includes(k), k);
    assert.ok((await h().server.fhir(`/Patient/${B}/$everything`, { headers: asA })).status >= 400);

    const full = JSON.stringify(await collectBundles(h().server, `/Patient/${A}/$everything`));
    assert.ok(
      full.includes(`"id":"bin-${B}"`),
      'without the token restriction the Binary is an include (the probe works)',
    );
  });

  it('a lab-only patient-A token: $everything leaves out what a read would refuse (SMART v2 constraints)', async () => {
    const labOnly = h().asPatient(A, 'patient/Patient.rs patient/Observation.rs?category=laboratory');
    assert.equal((await h().server.fhir(`/Observation/vital-${A}`, { headers: labOnly })).status, 403);
    const keys = (await collectBundles(h().server, `/Patient/${A}/$everything`, labOnly)).flatMap((p) =>
      (p.entry ?? []).map((e: Json) => keyOf(e.resource)),
    );
    assert.ok(keys.includes(`Observation/obs-${A}`) && !keys.includes(`Observation/vital-${A}`), keys.join(','));
  });

  it('patient-A token: system, Patient- and Group-level $export carry no byte of B', async () => {
    const asA = h().asPatient(A);
    for (const path of [
      '/$export?_type=Patient,Observation,Binary',
      '/Patient/$export',
      `/Group/${groupId}/$export`,
      `/Group/${groupId}/$export?_typeFilter=${encodeURIComponent(`Observation?subject=Patient/${B}`)}`,
    ]) {
      const run = await runExportTo(h().server, path, asA);
      noByteOfB(path, run.text);
      if (run.status !== 200) {
        assert.ok(run.status >= 400 && run.status < 500, `${path}: ${run.status}`);
        continue;
      }
      const keys = run.resources.map(keyOf);
      for (const k of bKeys) assert.ok(!keys.includes(k), `${path}: ${k}`);
      if (!path.includes('_typeFilter'))
        assert.ok(keys.includes(`Patient/${A}`) && keys.includes(`Observation/obs-${A}`), `${path}: A's own data`);
    }
  });
}
