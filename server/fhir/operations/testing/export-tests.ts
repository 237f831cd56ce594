/**
 * $export content (issue 14 item 9): each resource once at Patient and Group level, `_typeFilter` at every level
 * (OR of queries, commas inside a query, encoded once or twice), a bad `_typeFilter` refused at kick-off, and the
 * snapshot at transactionTime while clients keep writing.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import {
  keyOf,
  patientsOf,
  pollExport,
  runExportTo,
  searchCount,
  type BulkHarness,
  type Json,
} from './bulk-harness.js';

const LOINC = 'http://loinc.org';

function ids(resources: Json[], type?: string): string[] {
  return resources.filter((r) => !type || r.resourceType === type).map(keyOf);
}

function assertEachOnce(resources: Json[], label: string): void {
  const keys = ids(resources);
  const twice = keys.filter((k, i) => keys.indexOf(k) !== i);
  assert.deepEqual(twice, [], `${label}: written more than once`);
}

/** Two LOINC codes of Observations of the loaded patients, the most frequent first. */
async function twoCodes(h: BulkHarness): Promise<[string, string]> {
  const res = await h.server.fhir('/Observation?_count=1000');
  const counts = new Map<string, number>();
  for (const e of res.body.entry ?? [])
    for (const c of e.resource.code?.coding ?? [])
      if (c.system === LOINC) counts.set(c.code, (counts.get(c.code) ?? 0) + 1);
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([c]) => c);
  assert.ok(sorted.length >= 2, 'two Observation codes to filter on');
  return [sorted[0]!, sorted[1]!];
}

export function exportTests(h: () => BulkHarness): void {
  it('a resource in two patients’ compartments is written once by Patient- and Group-level $export (also across member chunks)', async (t) => {
    const missing = h().corpusMissing;
    if (missing) {
      t.skip(missing);
      return;
    }
    const [a, b] = patientsOf(h());
    assert.ok(a && b, 'two loaded patients');
    const shared = await h().server.fhir('/Observation', {
      method: 'POST',
      body: {
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'shared between two patients' },
        subject: { reference: `Patient/${a.id}` },
        performer: [{ reference: `Patient/${b.id}` }],
      },
    });
    assert.equal(shared.status, 201, shared.text);
    const sharedKey = `Observation/${shared.body.id}`;

    const patientLevel = await runExportTo(h().server, '/Patient/$export?_type=Patient,Observation');
    assertEachOnce(patientLevel.resources, 'Patient/$export');
    assert.equal(ids(patientLevel.resources).filter((k) => k === sharedKey).length, 1);
    assert.equal(ids(patientLevel.resources, 'Observation').length, await searchCount(h().server, '/Observation'));

    const fillers = Array.from({ length: 260 }, (_, i) => ({ entity: { reference: `Patient/no-such-${i}` } }));
    for (const member of [
      [a, b].map((p) => ({ entity: { reference: `Patient/${p.id}` } })),
      [{ entity: { reference: `Patient/${a.id}` } }, ...fillers, { entity: { reference: `Patient/${b.id}` } }],
    ]) {
      const group = await h().server.fhir('/Group', {
        method: 'POST',
        body: { resourceType: 'Group', type: 'person', actual: true, member },
      });
      assert.equal(group.status, 201, group.text);
      const run = await runExportTo(h().server, `/Group/${group.body.id}/$export?_type=Patient,Observation`);
      assertEachOnce(run.resources, `Group of ${member.length}`);
      assert.equal(ids(run.resources).filter((k) => k === sharedKey).length, 1, `Group of ${member.length}`);
      const expected: number =
        (await searchCount(h().server, `/Observation?subject=Patient/${a.id}`)) +
        (await searchCount(h().server, `/Observation?subject=Patient/${b.id}`));
      assert.equal(ids(run.resources, 'Observation').length, expected);
      assert.deepEqual(ids(run.resources, 'Patient').sort(), [`Patient/${a.id}`, `Patient/${b.id}`].sort());
    }
  });

  it('_typeFilter: OR of queries, a comma inside a query keeps what follows, encoded once or twice, at system, Patient and Group level', async (t) => {
    const missing = h().corpusMissing;
    if (missing) {
      t.skip(missing);
      return;
    }
    const [c1, c2] = await twoCodes(h());
    const both = `${LOINC}|${c1},${LOINC}|${c2}`;
    const expectedBoth = await searchCount(h().server, `/Observation?code=${encodeURIComponent(both)}`);
    const expected1 = await searchCount(h().server, `/Observation?code=${encodeURIComponent(`${LOINC}|${c1}`)}`);
    assert.ok(expectedBoth > expected1 && expected1 > 0);

    const query = (q: string) => `Observation?code=${encodeURIComponent(q)}`;
    const once = (filters: string[]) => filters.map((f) => encodeURIComponent(f)).join(',');
    const cases: Array<[string, string, number]> = [
      ['a comma inside one query (an OR of codes)', once([query(both)]), expectedBoth],
      ['the same query encoded twice', encodeURIComponent(once([query(both)])), expectedBoth],
      ['two queries OR-ed', once([query(`${LOINC}|${c1}`), query(`${LOINC}|${c2}`)]), expectedBoth],
      ['overlapping queries: each resource once', once([query(`${LOINC}|${c1}`), query(both)]), expectedBoth],
      ['one code', once([query(`${LOINC}|${c1}`)]), expected1],
    ];
    for (const [label, value, expected] of cases) {
      const run = await runExportTo(h().server, `/$export?_type=Observation,Condition&_typeFilter=${value}`);
      assert.equal(run.status, 200, `${label}: ${run.text.slice(0, 200)}`);
      assertEachOnce(run.resources, label);
      assert.equal(ids(run.resources, 'Observation').length, expected, label);
      assert.equal(
        ids(run.resources, 'Condition').length,
        await searchCount(h().server, '/Condition'),
        `${label}: a type without a filter is exported whole`,
      );
    }
    const repeated = await runExportTo(
      h().server,
      `/$export?_type=Observation&_typeFilter=${once([query(`${LOINC}|${c1}`)])}&_typeFilter=${once([query(`${LOINC}|${c2}`)])}`,
    );
    assert.equal(ids(repeated.resources, 'Observation').length, expectedBoth, 'repeated _typeFilter parameters');

    const filter = once([query(`${LOINC}|${c1}`)]);
    const patientLevel = await runExportTo(h().server, `/Patient/$export?_type=Observation&_typeFilter=${filter}`);
    assert.equal(ids(patientLevel.resources, 'Observation').length, expected1, 'honoured at Patient level');
    const patients = patientsOf(h());
    const group = await h().server.fhir('/Group', {
      method: 'POST',
      body: {
        resourceType: 'Group',
        type: 'person',
        actual: true,
        member: patients.map((p) => ({ entity: { reference: `Patient/${p.id}` } })),
      },
    });
    const groupLevel = await runExportTo(
      h().server,
      `/Group/${group.body.id}/$export?_type=Observation&_typeFilter=${filter}`,
    );
    assert.equal(
      ids(groupLevel.resources, 'Observation').length,
      await searchCount(
        h().server,
        `/Observation?subject=${patients.map((p) => `Patient/${p.id}`).join(',')}&code=${encodeURIComponent(`${LOINC}|${c1}`)}`,
      ),
      'honoured at Group level',
    );
    assert.ok(ids(groupLevel.resources).length > 0);
  });

  it('a bad _typeFilter (or a type outside the Patient compartment) answers 400 at kick-off and creates no job', async () => {
    // The export folder exists once a job ran (not yet when the corpus-dependent tests before this one skipped).
    const jobs = () => (existsSync(h().exportDir) ? readdirSync(h().exportDir).length : 0);
    const jobsBefore = jobs();
    const bad = [
      '/$export?_type=Observation&_typeFilter=Observation%3Fshoe-size%3D42',
      '/$export?_type=Observation&_typeFilter=Observation%3Fdate%3Dlast-tuesday',
      '/$export?_type=Observation&_typeFilter=Observation',
      '/$export?_type=Observation&_typeFilter=Nonsense%3Fx%3D1',
      '/$export?_type=Observation&_typeFilter=Observation%3F_sort%3Ddate',
      '/$export?_type=Observation&_typeFilter=Patient%3Fgender%3Dfemale',
      '/Patient/$export?_type=Observation&_typeFilter=Observation%3Fcode%3Aunknownmod%3Dx',
      '/Patient/$export?_type=Practitioner',
    ];
    for (const path of bad) {
      const res = await h().server.fhir(path, { headers: { prefer: 'respond-async' } });
      assert.equal(res.status, 400, `${path}: ${res.status} ${res.text.slice(0, 200)}`);
      assert.equal(res.body.resourceType, 'OperationOutcome');
    }
    assert.equal(jobs(), jobsBefore, 'no job was created');
  });

  it('$export is a snapshot at transactionTime while clients write: nothing later, each resource once, deleted ones kept', async (t) => {
    const missing = h().corpusMissing;
    if (missing) {
      t.skip(missing);
      return;
    }
    const before = await h().server.fhir('/Observation?_count=30&_sort=_id');
    const victims: Json[] = before.body.entry.map((e: Json) => e.resource);
    // Types before Observation give the writes time to land before the Observation pass reads.
    const types = 'Claim,ExplanationOfBenefit,Immunization,DiagnosticReport,DocumentReference,Encounter,Observation';
    const kick = await h().server.fhir(`/$export?_type=${types}`, { headers: { prefer: 'respond-async' } });
    assert.equal(kick.status, 202);
    const deleted = victims.filter((_, i) => i % 3 === 0).map(keyOf);
    const entry: Json[] = victims.map((o, i) =>
      i % 3 === 0
        ? { request: { method: 'DELETE', url: keyOf(o) } }
        : { resource: { ...o, meta: undefined, status: 'amended' }, request: { method: 'PUT', url: keyOf(o) } },
    );
    for (let i = 0; i < 10; i++)
      entry.push({
        fullUrl: `urn:uuid:${randomUUID()}`,
        resource: { resourceType: 'Observation', status: 'final', code: { text: `created during export ${i}` } },
        request: { method: 'POST', url: 'Observation' },
      });
    const writes = await h().server.fhir('/', {
      method: 'POST',
      body: { resourceType: 'Bundle', type: 'transaction', entry },
      headers: { prefer: 'return=representation' },
    });
    assert.equal(writes.status, 200, writes.text.slice(0, 300));
    const created: string[] = writes.body.entry
      .map((e: Json) => e.resource)
      .filter((r: Json | undefined) => r?.code?.text?.startsWith('created during export'))
      .map(keyOf);
    assert.equal(created.length, 10);
    const done = await pollExport(h().server, kick.headers.get('content-location')!);
    assert.equal(done.status, 200);
    const transactionTime = Date.parse(done.body.transactionTime);
    const lines: Json[] = [];
    for (const o of done.body.output)
      lines.push(
        ...(await h().server.fhir(o.url)).text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      );
    assertEachOnce(lines, 'snapshot');
    for (const r of lines)
      assert.ok(Date.parse(r.meta.lastUpdated) <= transactionTime, `${keyOf(r)} was written after transactionTime`);
    const exported = new Set(ids(lines));
    for (const k of created) assert.ok(!exported.has(k), `${k} was created after the kick-off`);
    for (const o of victims) assert.ok(exported.has(keyOf(o)), `${keyOf(o)} existed at transactionTime`);
    for (const k of deleted) assert.ok(exported.has(k), `${k} (deleted after the kick-off) is in the snapshot`);
    for (const r of lines.filter((l) => victims.some((v) => keyOf(v) === keyOf(l))))
      assert.notEqual(r.status, 'amended', `${keyOf(r)}: the version current at transactionTime, not the update`);
  });
}
