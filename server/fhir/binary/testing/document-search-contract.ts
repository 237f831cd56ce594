/**
 * DocumentReference search by patient, subject, type, category, date, status, period and relatesto (issue #21), on
 * every store through REST. Every answer is checked twice: against the ids a reader of the R4 spec expects (written
 * out below) and against the test oracle, which evaluates the raw R4 SearchParameter expression with fhirpath.js
 * (testing/oracle) — never the server's extraction. The data are realistic documents plus odd-but-valid ones: a subject
 * as an absolute URL of this server, a Group subject, a type with text only, a date with fractional seconds and a
 * zone, open-ended and year-precision periods, several relatesTo, a relatesTo by identifier only.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Request } from 'express';
import type { Resource } from '@medplum/fhirtypes';
import type { StoreFactory } from '../../../store/testing/store-contract.js';
import { FULL_ACCESS, type AccessPolicy } from '../../access-policy.js';
import { startTestServer, type TestServer } from '../../../testing/test-server.js';
import { SearchOracle } from '../../search/testing/oracle/search-oracle.js';
import { oracleParam } from '../../search/testing/oracle/oracle-params.js';
import { getSearchParameterInfo } from '../../indexing/search-parameter-registry.js';
import { documentSearchData, LOINC, CATEGORY } from './document-search-data.js';

type Json = any;

function testAccess(req: Request): Promise<AccessPolicy> {
  const patient = req.headers['x-test-patient'];
  if (typeof patient !== 'string') return Promise.resolve(FULL_ACCESS);
  return Promise.resolve({ ...FULL_ACCESS, who: `Patient/${patient}`, compartment: `Patient/${patient}` });
}

export const DOCUMENT_PARAMS = ['patient', 'subject', 'type', 'category', 'date', 'status', 'period', 'relatesto'];

export function describeDocumentSearch(label: string, factory: StoreFactory): void {
  describe(`DocumentReference search: ${label}`, () => {
    let server: TestServer;
    let dispose: () => Promise<void>;
    let oracle: SearchOracle;

    before(async () => {
      const opened = await factory();
      dispose = opened.dispose;
      server = await startTestServer(opened.store, { resolveAccess: testAccess });
      const written: Resource[] = [];
      for (const resource of documentSearchData(server.baseUrl)) {
        const put = await server.fhir(`/${resource.resourceType}/${resource.id}`, { method: 'PUT', body: resource });
        assert.ok(put.status === 201, `${resource.resourceType}/${resource.id}: ${put.text}`);
        written.push(put.body as Resource);
      }
      oracle = new SearchOracle(written, server.baseUrl);
    });
    after(async () => {
      await server?.close();
      await server?.app.store.close();
      await dispose?.();
    });

    /** Ids of DocumentReferences the server returns for the query (every page), sorted. */
    const ids = async (query: string, headers: Record<string, string> = {}): Promise<string[]> => {
      const found: string[] = [];
      let next: string | undefined = `/DocumentReference?${query}${query ? '&' : ''}_count=100`;
      while (next) {
        const answer = await server.fhir(next, { headers });
        assert.equal(answer.status, 200, `${query}: ${answer.text}`);
        for (const e of (answer.body.entry ?? []) as Json[])
          if (e.search?.mode === 'match') found.push(e.resource.id as string);
        next = (answer.body.link as Json[] | undefined)?.find((l) => l.relation === 'next')?.url;
      }
      return found.sort();
    };
    /**
     * The query's answer equals `expected`, and so does what the R4 expression selects (the oracle) — except where
     * `oracleMisses` names documents the oracle cannot see: it rewrites `resolve() is Patient` offline to
     * `reference.startsWith('Patient/')`, so a subject written as this server's absolute URL escapes it, while
     * resolve() on this server does find that Patient.
     */
    const expect = async (query: string, expected: string[], oracleMisses: string[] = []) => {
      const got = await ids(query);
      const params = [...new URLSearchParams(query).entries()];
      const fromSpec = oracle.search(['DocumentReference'], params).map((k) => k.split('/')[1]!);
      const spec = [...expected.filter((id) => !oracleMisses.includes(id))].sort();
      const specWithMisses = [...fromSpec.filter((id) => !oracleMisses.includes(id))].sort();
      assert.deepEqual(specWithMisses, spec, `the oracle (R4 expression) for ${query}`);
      assert.deepEqual(got, [...expected].sort(), `the server for ${query}`);
    };
    const all = ['d-discharge', 'd-consult', 'd-addendum', 'd-absolute', 'd-scan', 'd-group', 'd-no-subject'];
    const ofPa = ['d-discharge', 'd-consult', 'd-absolute', 'd-scan', 'd-mistake'];
    const enc = encodeURIComponent;

    it('the server searches each parameter with the R4 definition’s type and expression', () => {
      for (const code of DOCUMENT_PARAMS) {
        const mine = getSearchParameterInfo('DocumentReference', code);
        const spec = oracleParam('DocumentReference', code)!;
        assert.ok(mine, code);
        assert.equal(mine.kind, spec.type, code);
        const branches = mine.expression.split(' | ').filter((b) => b.startsWith('DocumentReference.'));
        const specBranches = spec.expression
          .split(' | ')
          .map((b) => b.replace(/reference\.startsWith\('(\w+)\/'\)/, 'resolve() is $1'));
        assert.deepEqual(branches, specBranches, code);
      }
    });

    it('patient: relative, typed, absolute URL of this server; not a Group subject; not an unknown patient', async () => {
      await expect('patient=pa', ofPa, ['d-absolute']);
      await expect('patient=Patient/pa', ofPa, ['d-absolute']);
      await expect(`patient=${enc(`${server.baseUrl}/Patient/pa`)}`, ofPa, ['d-absolute']);
      await expect('patient:Patient=pb', ['d-addendum', 'd-text-type']);
      await expect('patient=pa,pb', [...ofPa, 'd-addendum', 'd-text-type'], ['d-absolute']);
      await expect('patient=ward-7', []);
      await expect('patient=nobody', []);
      // d-absolute's subject is a Patient: not missing (the oracle, blind to the absolute URL, would call it missing)
      const missing = await ids('patient:missing=true');
      assert.deepEqual(missing, ['d-group', 'd-no-subject']);
      assert.deepEqual(oracle.search(['DocumentReference'], [['patient:missing', 'true']]), [
        'DocumentReference/d-absolute',
        'DocumentReference/d-group',
        'DocumentReference/d-no-subject',
      ]);
    });

    it('subject: any target type, the absolute URL of this server too; a Group subject is found by subject only', async () => {
      await expect('subject=Patient/pa', ofPa);
      await expect('subject=Group/ward-7', ['d-group']);
      await expect('subject:Group=ward-7', ['d-group']);
      await expect('subject=Patient/pb', ['d-addendum', 'd-text-type']);
      await expect('subject:missing=true', ['d-no-subject']);
    });

    it('type: system|code, code alone, system|, a second coding, :text, :not', async () => {
      await expect(`type=${enc(`${LOINC}|18842-5`)}`, ['d-discharge', 'd-absolute']);
      await expect('type=18842-5', ['d-discharge', 'd-absolute']);
      await expect(`type=${enc(`${LOINC}|`)}`, [...all, 'd-mistake']);
      await expect(`type=${enc('http://nilecare.sd/document-type|CONSULT-AR')}`, ['d-consult']);
      await expect('type:text=consult', ['d-consult']);
      await expect('type:text=Letter%20from', ['d-text-type']);
      await expect(`type:not=${enc(`${LOINC}|18842-5`)}`, [
        'd-consult',
        'd-addendum',
        'd-scan',
        'd-group',
        'd-no-subject',
        'd-mistake',
        'd-text-type',
      ]);
    });

    it('category: one of several categories, either coding of one category, system only, missing', async () => {
      await expect(`category=${enc(`${CATEGORY}|clinical-note`)}`, [
        'd-discharge',
        'd-consult',
        'd-addendum',
        'd-absolute',
        'd-mistake',
        'd-text-type',
      ]);
      await expect('category=imaging', ['d-scan']);
      await expect('category=scanned-consent', ['d-scan']);
      await expect(`category=${enc('http://snomed.info/sct|363679005')}`, ['d-scan']);
      await expect(`category=${enc('http://nilecare.sd/document-category|')}`, ['d-scan', 'd-group']);
      await expect('category:missing=true', ['d-no-subject']);
    });

    it('status: one, several, :not; codes are case-sensitive', async () => {
      await expect('status=current', [...all.filter((id) => id !== 'd-consult'), 'd-text-type']);
      await expect('status=superseded,entered-in-error', ['d-consult', 'd-mistake']);
      await expect('status:not=current', ['d-consult', 'd-mistake']);
      await expect('status=CURRENT', []);
    });

    it('date: day, month, prefixes across time zones, fractional seconds, ne, missing', async () => {
      await expect('date=2026-03-01', ['d-discharge']);
      await expect('date=2026-03', ['d-discharge', 'd-consult', 'd-absolute', 'd-scan']);
      await expect('date=ge2026-03-05', ['d-consult', 'd-addendum', 'd-absolute', 'd-scan']);
      // d-discharge at 2026-03-01T10:00:00+03:00 is 07:00Z: before 08:00Z, after 06:59:59Z
      await expect(`date=${enc('lt2026-03-01T08:00:00Z')}`, ['d-discharge', 'd-group', 'd-no-subject', 'd-text-type']);
      await expect(`date=${enc('gt2026-03-01T06:59:59Z')}`, [
        'd-discharge',
        'd-consult',
        'd-addendum',
        'd-absolute',
        'd-scan',
      ]);
      await expect(`date=${enc('2026-03-10T23:59:59.250+02:00')}`, ['d-scan']);
      await expect('date=ne2026-03', ['d-addendum', 'd-group', 'd-no-subject', 'd-text-type']);
      await expect('date:missing=true', ['d-mistake']);
    });

    it('period: covering a day (le & ge), contained in a year, open-ended ends, year precision, sa/eb, missing', async () => {
      await expect('period=le2026-02-25&period=ge2026-02-25', ['d-discharge']);
      await expect('period=2026', ['d-discharge', 'd-mistake']);
      await expect('period=2025', ['d-group']);
      await expect('period=ge2027', ['d-consult']);
      await expect('period=le2025-06', ['d-addendum', 'd-group']);
      await expect('period=sa2026-02-19', ['d-discharge', 'd-consult']);
      await expect('period=eb2026-03-01', ['d-discharge', 'd-addendum', 'd-group', 'd-mistake']);
      await expect('period:missing=true', ['d-absolute', 'd-scan', 'd-no-subject', 'd-text-type']);
    });

    it('relatesto: relative, bare id, typed, absolute URL; several targets; a target known only by identifier', async () => {
      await expect('relatesto=DocumentReference/d-discharge', ['d-consult', 'd-addendum']);
      await expect('relatesto=d-consult', ['d-addendum']);
      await expect('relatesto:DocumentReference=d-consult', ['d-addendum']);
      await expect(`relatesto=${enc(`${server.baseUrl}/DocumentReference/d-scan`)}`, ['d-text-type']);
      await expect('relatesto=DocumentReference/d-scan', ['d-text-type']);
      await expect('relatesto=legacy-42', []);
      await expect(`relatesto:identifier=${enc('http://nilecare.sd/legacy-docs|legacy-42')}`, ['d-text-type']);
      await expect('relatesto:missing=false', ['d-consult', 'd-addendum', 'd-text-type']);
    });

    it('relation, and relationship (composite): the code and the target of the same relatesTo', async () => {
      await expect('relation=replaces', ['d-addendum']);
      await expect('relation=appends', ['d-consult', 'd-addendum']);
      // R4's own relationship definition pairs the relatesto definition with `code` and relation with `target`, so
      // taken literally (as the oracle does) nothing can match; the server uses profiles/ SearchParameter-
      // DocumentReference-relationship.json (relation$relatesto, as its description says): checked by hand here.
      const byServer = async (query: string, expected: string[]) =>
        assert.deepEqual(await ids(query), [...expected].sort(), query);
      assert.deepEqual(
        oracle.search(['DocumentReference'], [['relationship', 'replaces$DocumentReference/d-consult']]),
        [],
      );
      await byServer(`relationship=${enc('replaces$DocumentReference/d-consult')}`, ['d-addendum']);
      await byServer(`relationship=${enc('appends$DocumentReference/d-discharge')}`, ['d-addendum', 'd-consult']);
      // d-addendum replaces d-consult and appends d-discharge: no single relatesTo appends d-consult
      await byServer(`relationship=${enc('appends$DocumentReference/d-consult')}`, []);
      await byServer(`relationship=${enc('replaces$d-consult')}`, ['d-addendum']);
      await byServer(`relationship=${enc(`transforms$${server.baseUrl}/DocumentReference/d-scan`)}`, ['d-text-type']);
      await byServer(`relationship=${enc('transforms$DocumentReference/d-scan')}`, ['d-text-type']);
      await byServer(`relationship=${enc('replaces$DocumentReference/d-consult,signs$DocumentReference/d-scan')}`, [
        'd-addendum',
      ]);
    });

    it('contenttype: the attachment’s media type', async () => {
      await expect('contenttype=image/jpeg', ['d-scan']);
      await expect('contenttype=application/pdf', [...all.filter((id) => id !== 'd-scan'), 'd-mistake', 'd-text-type']);
    });

    it('location: the attachment URL, external or the Binary the server made of inline data', async () => {
      await expect(`location=${enc('https://archive.nilecare.sd/documents/d-discharge.pdf')}`, ['d-discharge']);
      const scan = (await server.fhir('/DocumentReference/d-scan')).body;
      const binary = scan.content[0].attachment.url as string;
      assert.match(binary, /^Binary\/[A-Za-z0-9\-.]+$/);
      await expect(`location=${enc(binary)}`, ['d-scan']);
      await expect(`location:below=${enc('https://archive.nilecare.sd/documents/')}`, [
        ...all.filter((id) => id !== 'd-scan'),
        'd-mistake',
        'd-text-type',
      ]);
    });

    it('a patient’s document list, newest first (_sort=-date), and oldest first', async () => {
      const ordered = async (query: string) =>
        ((await server.fhir(`/DocumentReference?${query}`)).body.entry as Json[]).map((e) => e.resource.id as string);
      const newest = ['d-absolute', 'd-scan', 'd-consult', 'd-discharge'];
      assert.deepEqual(await ordered('subject=Patient/pa&status:not=entered-in-error&_sort=-date'), newest);
      assert.deepEqual(await ordered('subject=Patient/pa&status:not=entered-in-error&_sort=date'), newest.reverse());
    });

    it('parameters combined; after an update and a delete the answers follow the current version', async () => {
      await expect(`subject=Patient/pa&status=current&type=${enc(`${LOINC}|18842-5`)}&date=ge2026-03`, [
        'd-discharge',
        'd-absolute',
      ]);
      const current = (await server.fhir('/DocumentReference/d-discharge')).body;
      const updated = await server.fhir('/DocumentReference/d-discharge', {
        method: 'PUT',
        body: { ...current, status: 'superseded', date: '2026-04-02T09:00:00Z' },
      });
      assert.equal(updated.status, 200, updated.text);
      oracle.add(updated.body as Resource);
      await expect('subject=Patient/pa&status=current', ['d-absolute', 'd-scan']);
      await expect('date=2026-03-01', []);
      await expect('date=2026-04-02', ['d-discharge']);
      const deleted = await server.fhir('/DocumentReference/d-absolute', { method: 'DELETE' });
      assert.ok(deleted.status === 200 || deleted.status === 204, deleted.text);
      assert.deepEqual(await ids('subject=Patient/pa&status=current'), ['d-scan']);
      assert.deepEqual(await ids('type=18842-5'), ['d-discharge']);
    });

    it('a patient-scoped caller finds only that patient’s documents, whatever it asks for', async () => {
      const asPb = { 'x-test-patient': 'pb' };
      assert.deepEqual(await ids('status=current', asPb), ['d-addendum', 'd-text-type']);
      assert.deepEqual(await ids('patient=pa', asPb), []);
      assert.deepEqual(await ids('relatesto=DocumentReference/d-discharge', asPb), ['d-addendum']);
    });
  });
}
