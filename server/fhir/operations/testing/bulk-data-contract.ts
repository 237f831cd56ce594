/**
 * $everything, bulk $export and the bulk loader, over HTTP on every store (issue #4): an export of
 * everything loaded re-imports into an empty server with the same counts, and an interrupted import resumes.
 * The parts in testing/ cover $everything paging, export content (dedupe, _typeFilter, snapshot), job lifetime
 * (expiry, DELETE, crash recovery) and the read decision on every returned resource (issues 14 item 9, 15 item 3).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { StoreFactory } from '../../../store/testing/store-contract.js';
import { startTestServer, type TestServer } from '../../../testing/test-server.js';
import { syntheaPipesFiles, SYNTHEA } from '../../bundle/testing/transaction-contract.js';
import { importPaths } from '../../../cli/bulk-import.js';
import { FULL_ACCESS } from '../../access-policy.js';
import { policyFromScopes } from '../../../auth/scope-policy.js';
import type { BulkHarness } from './bulk-harness.js';
import { everythingTests } from './everything-tests.js';
import { exportTests } from './export-tests.js';
import { exportLifecycleTests } from './export-lifecycle-tests.js';
import { bulkAccessTests } from './bulk-access-tests.js';
import { corpusMissing } from '../../../testing/corpus.js';

type Json = Record<string, any>;

async function pollExport(server: TestServer, location: string): Promise<Json> {
  for (let i = 0; i < 600; i++) {
    const res = await server.fhir(location);
    if (res.status === 200) return res.body;
    assert.equal(res.status, 202, `poll: ${res.status} ${res.text.slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('export did not finish');
}

async function collectPages(server: TestServer, first: string): Promise<Json[]> {
  const entries: Json[] = [];
  let url: string | undefined = first;
  while (url) {
    const res = await server.fhir(url);
    assert.equal(res.status, 200, res.text.slice(0, 300));
    entries.push(...(res.body.entry ?? []));
    url = res.body.link?.find((l: Json) => l.relation === 'next')?.url;
  }
  return entries;
}

export function describeBulkData(label: string, factory: StoreFactory): void {
  describe(`$everything, $export and bulk import: ${label}`, () => {
    let server: TestServer;
    let target: TestServer;
    const disposers: Array<() => Promise<void>> = [];
    const loaded: Json[] = [];
    const missing = corpusMissing(join(SYNTHEA, 'fhir-data-pipes-2021'));
    let workDir: string;

    before(async () => {
      const a = await factory();
      const b = await factory();
      disposers.push(a.dispose, b.dispose);
      workDir = mkdtempSync(join(tmpdir(), 'nilecare-bulk-'));
      server = await startTestServer(a.store, {
        env: { EXPORT_DIR: join(workDir, 'exports-a') },
        // A patient-context SMART token, without the OAuth dance: the policy server/auth derives from its scopes.
        resolveAccess: async (req) => {
          const patient = req.get('x-test-patient');
          if (!patient) return FULL_ACCESS;
          const scope = req.get('x-test-scope') ?? 'patient/*.rs';
          return policyFromScopes({ scope, patient, clientId: 'bulk-test-app', sub: `user-${patient}` });
        },
      });
      target = await startTestServer(b.store, { env: { EXPORT_DIR: join(workDir, 'exports-b') } });
      if (missing) return;
      const { reference, patients } = syntheaPipesFiles();
      for (const file of [...reference, ...patients.slice(0, 3)]) {
        const bundle = JSON.parse(readFileSync(file, 'utf8'));
        const res = await server.fhir('/', {
          method: 'POST',
          body: bundle,
          headers: { prefer: 'return=representation' },
        });
        assert.equal(res.status, 200, res.text.slice(0, 300));
        if (bundle.type === 'transaction') loaded.push({ bundle, response: res.body });
      }
    });
    after(async () => {
      await server?.close();
      await target?.close();
      await server?.app.store.close();
      await target?.app.store.close();
      for (const d of disposers) await d();
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    it('Patient/$everything returns the patient, its whole compartment across pages, and the practitioners it refers to', async (t) => {
      if (missing) {
        t.skip(missing);
        return;
      }
      const { response } = loaded[0]!;
      const created: Json[] = response.entry.map((e: Json) => e.resource);
      const patient = created.find((r) => r.resourceType === 'Patient')!;
      const entries = await collectPages(server, `/Patient/${patient.id}/$everything?_count=50`);
      const matched = new Set(
        entries.filter((e) => e.search.mode === 'match').map((e) => `${e.resource.resourceType}/${e.resource.id}`),
      );
      const compartmentTypes = new Set([
        'Patient',
        'Encounter',
        'Observation',
        'Condition',
        'Claim',
        'ExplanationOfBenefit',
        'Immunization',
        'DiagnosticReport',
        'DocumentReference',
        'MedicationRequest',
        'Procedure',
      ]);
      for (const r of created.filter((r) => compartmentTypes.has(r.resourceType))) {
        assert.ok(matched.has(`${r.resourceType}/${r.id}`), `${r.resourceType}/${r.id} is in $everything`);
      }
      const includes = entries.filter((e) => e.search.mode === 'include').map((e) => e.resource.resourceType);
      assert.ok(
        includes.includes('Practitioner') || includes.includes('Organization'),
        `includes referenced resources (${[...new Set(includes)]})`,
      );
      const otherPatient = loaded[1]!.response.entry
        .map((e: Json) => e.resource)
        .find((r: Json) => r.resourceType === 'Patient');
      assert.ok(!matched.has(`Patient/${otherPatient.id}`), 'no other patient');

      const onlyEncounters = await collectPages(
        server,
        `/Patient/${patient.id}/$everything?_type=Encounter&_count=100`,
      );
      const types = new Set(
        onlyEncounters.filter((e) => e.search.mode === 'match').map((e) => e.resource.resourceType),
      );
      assert.deepEqual([...types], ['Encounter']);
      assert.equal((await server.fhir('/Patient/unknown-id/$everything')).status, 404);
      assert.equal(
        (await server.fhir(`/Observation/${patient.id}/$everything`)).status,
        404,
        '$everything is not defined on Observation',
      );
    });

    it('Encounter/$everything returns the encounter and what points at it', async (t) => {
      if (missing) {
        t.skip(missing);
        return;
      }
      const created: Json[] = loaded[0]!.response.entry.map((e: Json) => e.resource);
      const encounter = created.find((r) => r.resourceType === 'Encounter')!;
      const entries = await collectPages(server, `/Encounter/${encounter.id}/$everything`);
      const ids = new Set(entries.map((e) => `${e.resource.resourceType}/${e.resource.id}`));
      assert.ok(ids.has(`Encounter/${encounter.id}`));
      const pointing = created.filter(
        (r) => r.encounter?.reference === `Encounter/${encounter.id}` && r.resourceType !== 'Claim',
      );
      for (const r of pointing)
        assert.ok(ids.has(`${r.resourceType}/${r.id}`), `${r.resourceType} with this encounter`);
    });

    it('system $export writes ndjson per type that re-imports into an empty server with the same counts', async (t) => {
      if (missing) {
        t.skip(missing);
        return;
      }
      assert.equal((await server.fhir('/$export')).status, 400, 'Prefer: respond-async is required');
      const kick = await server.fhir('/$export', { headers: { prefer: 'respond-async' } });
      assert.equal(kick.status, 202, kick.text);
      const location = kick.headers.get('content-location')!;
      assert.match(location, /\$export-poll-status\?_jobId=/);
      const manifest = await pollExport(server, location);
      assert.equal(manifest.requiresAccessToken, true);
      const files: string[] = [];
      for (const output of manifest.output) {
        const res = await fetch(output.url);
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /ndjson/);
        const text = await res.text();
        const lines = text.trim().split('\n');
        assert.equal(lines.length, output.count, `${output.type} file has count lines`);
        assert.ok(lines.every((l) => JSON.parse(l).resourceType === output.type));
        const path = join(workDir, `${output.type}.ndjson`);
        writeFileSync(path, text);
        files.push(path);
        const total = (await server.fhir(`/${output.type}?_summary=count&_total=accurate`)).body.total;
        assert.equal(output.count, total, `${output.type}: export count equals the server's`);
      }
      assert.ok(
        manifest.output.some((o: Json) => o.type === 'Patient') &&
          manifest.output.some((o: Json) => o.type === 'Encounter'),
      );

      // Interrupt the first import after one batch, then run it again: it resumes and ends with the same counts.
      const statePath = join(workDir, 'import-state.json');
      let batches = 0;
      await assert.rejects(
        importPaths({
          baseUrl: target.baseUrl,
          paths: files,
          statePath,
          batchSize: 50,
          onProgress: () => {
            if (++batches === 2) throw new Error('simulated interruption');
          },
        }),
        /simulated interruption/,
      );
      const summary = await importPaths({ baseUrl: target.baseUrl, paths: files, statePath, batchSize: 200 });
      assert.equal(summary.failed, 0, summary.failures.join('\n'));
      for (const output of manifest.output) {
        const total = (await target.fhir(`/${output.type}?_summary=count&_total=accurate`)).body.total;
        assert.equal(total, output.count, `${output.type} re-imported`);
      }
      const again = await importPaths({ baseUrl: target.baseUrl, paths: files, statePath });
      assert.equal(again.skippedFiles, files.length, 'a finished import does nothing the second time');
    });

    it('Patient-level and Group-level $export, _type and _typeFilter, and cancelling a job', async (t) => {
      if (missing) {
        t.skip(missing);
        return;
      }
      const patients = loaded.map((l) =>
        l.response.entry.map((e: Json) => e.resource).find((r: Json) => r.resourceType === 'Patient'),
      );
      const group = await server.fhir('/Group', {
        method: 'POST',
        body: {
          resourceType: 'Group',
          type: 'person',
          actual: true,
          member: [{ entity: { reference: `Patient/${patients[0].id}` } }],
        },
      });
      assert.equal(group.status, 201);
      const groupKick = await server.fhir(`/Group/${group.body.id}/$export?_type=Patient,Encounter`, {
        headers: { prefer: 'respond-async' },
      });
      assert.equal(groupKick.status, 202, groupKick.text);
      const groupManifest = await pollExport(server, groupKick.headers.get('content-location')!);
      const patientOut = groupManifest.output.find((o: Json) => o.type === 'Patient');
      assert.equal(patientOut.count, 1);
      const patientLines = (await (await fetch(patientOut.url)).text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(patientLines[0].id, patients[0].id);
      const expectedEncounters = loaded[0]!.bundle.entry.filter(
        (e: Json) => e.resource.resourceType === 'Encounter',
      ).length;
      assert.equal(groupManifest.output.find((o: Json) => o.type === 'Encounter').count, expectedEncounters);
      assert.deepEqual(new Set(groupManifest.output.map((o: Json) => o.type)), new Set(['Patient', 'Encounter']));

      const patientKick = await server.fhir('/Patient/$export?_type=Patient', { headers: { prefer: 'respond-async' } });
      const patientManifest = await pollExport(server, patientKick.headers.get('content-location')!);
      assert.equal(
        patientManifest.output[0].count,
        (await server.fhir('/Patient?_summary=count&_total=accurate')).body.total,
      );

      const filtered = await server.fhir(
        `/$export?_type=Patient&_typeFilter=${encodeURIComponent(`Patient?_id=${patients[1].id}`)}`,
        { headers: { prefer: 'respond-async' } },
      );
      const filteredManifest = await pollExport(server, filtered.headers.get('content-location')!);
      assert.equal(filteredManifest.output[0].count, 1);

      const cancelled = await server.fhir('/$export', { headers: { prefer: 'respond-async' } });
      const where = cancelled.headers.get('content-location')!;
      assert.equal((await server.fhir(where, { method: 'DELETE' })).status, 202);
      assert.equal((await server.fhir(where)).status, 404);
      assert.equal(
        (await server.fhir('/$export?_type=Nonsense', { headers: { prefer: 'respond-async' } })).status,
        400,
      );
      assert.equal(
        (await server.fhir('/$export?_outputFormat=text/csv', { headers: { prefer: 'respond-async' } })).status,
        400,
      );
    });

    const harness = (): BulkHarness => ({
      server,
      target,
      loaded: loaded as BulkHarness['loaded'],
      corpusMissing: missing,
      workDir,
      exportDir: join(workDir, 'exports-a'),
      asPatient: (patient, scope) => ({ 'x-test-patient': patient, ...(scope ? { 'x-test-scope': scope } : {}) }),
    });
    describe('$everything paging', () => everythingTests(harness));
    describe('export content', () => exportTests(harness));
    describe('export jobs over time', () => exportLifecycleTests(harness, factory));
    describe('read decision on every returned resource', () => bulkAccessTests(harness));
  });
}
