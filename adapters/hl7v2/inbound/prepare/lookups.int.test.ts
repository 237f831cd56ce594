/**
 * The reads a message's preparation needs, against the real FHIR app (PGlite): reads by id of one type go as one
 * search (fewer queries per message), and each URL still gets exactly its own answer — a missing id none, ids of
 * another type not mixed in, more ids than one search takes split over several; the server's store-level search
 * (what the listener uses: no Bundle of GETs, no transaction) gives the same answers, and with its store read by id
 * (server/hl7-submit.ts currentResources) every read by id of every type goes as ONE read beside the searches,
 * with the same answers (stored versions, meta stamped; a deleted resource is not found).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle } from '@medplum/fhirtypes';
import { pgliteTestStore } from '../../../../server/store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../../../../server/testing/test-server.js';
import type { SubmitTransaction } from '../submit-transaction.js';
import { lookUp, type StoreSearch } from './lookups.js';
import { currentResources } from '../../../../server/hl7-submit.js';

describe('prepare look-ups (FHIR app on PGlite)', () => {
  let fhir: TestServer;
  let dispose: () => Promise<void>;
  const asked: string[][] = [];
  let submit: SubmitTransaction;
  /** Reads by id of two types, a missing one, an id of the wrong type, and an identifier search. */
  const mixedUrls = [
    'DiagnosticReport?_id=dr-1',
    'DiagnosticReport?_id=dr-missing',
    'Encounter?_id=dr-1',
    'Patient?identifier=urn:mrn|M-1',
    ...Array.from({ length: 130 }, (_, i) => `DiagnosticReport?_id=dr-${i}`),
  ];
  /** A store search through the app that records each search it is asked (with its count when `withCount`). */
  const recordingSearch =
    (searched: string[], withCount: boolean): StoreSearch =>
    async (type, params, count) => {
      searched.push(`${type}?${new URLSearchParams(params).toString()}${withCount && count ? ` (${count})` : ''}`);
      return (await fhir.app.systemClient.search(type, params, count ? { count } : {})).matches.flatMap((m) =>
        m.resource ? [m.resource] : [],
      );
    };

  before(async () => {
    const opened = await pgliteTestStore();
    dispose = opened.dispose;
    fhir = await startTestServer(opened.store);
    submit = (b: Bundle) => {
      asked.push((b.entry ?? []).map((e) => e.request?.url ?? ''));
      return fhir.app.systemClient.transaction(b, { return: 'minimal' });
    };
    const entry = Array.from({ length: 130 }, (_, i) => ({
      request: { method: 'PUT' as const, url: `DiagnosticReport/dr-${i}` },
      resource: {
        resourceType: 'DiagnosticReport' as const,
        id: `dr-${i}`,
        status: 'final' as const,
        code: { text: `r${i}` },
      },
    }));
    await fhir.app.systemClient.transaction({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        ...entry,
        {
          request: { method: 'PUT', url: 'Encounter/dr-1' },
          resource: { resourceType: 'Encounter', id: 'dr-1', status: 'finished', class: { code: 'IMP' } },
        },
        {
          request: { method: 'PUT', url: 'Patient/p-1' },
          resource: { resourceType: 'Patient', id: 'p-1', identifier: [{ system: 'urn:mrn', value: 'M-1' }] },
        },
      ],
    });
  });
  after(async () => {
    await fhir?.close();
    await fhir?.app.store.close();
    await dispose?.();
  });

  it('asks reads by id of one type as one search and answers each URL with its own resource', async () => {
    asked.length = 0;
    const found = await lookUp(
      [
        'DiagnosticReport?_id=dr-1',
        'DiagnosticReport?_id=dr-2',
        'DiagnosticReport?_id=dr-missing',
        'DiagnosticReport?_id=dr-1',
        'Encounter?_id=dr-1',
        'Patient?identifier=urn:mrn|M-1',
      ],
      submit,
    );
    assert.equal(asked.length, 1, 'one transaction');
    assert.equal(asked[0]!.length, 3, `one search per type plus the other search: ${asked[0]!.join(' ')}`);
    const ids = (url: string) => (found.get(url) ?? []).map((r) => `${r.resourceType}/${r.id}`);
    assert.deepEqual(ids('DiagnosticReport?_id=dr-1'), ['DiagnosticReport/dr-1']);
    assert.deepEqual(ids('DiagnosticReport?_id=dr-2'), ['DiagnosticReport/dr-2']);
    assert.deepEqual(ids('DiagnosticReport?_id=dr-missing'), []);
    assert.deepEqual(ids('Encounter?_id=dr-1'), ['Encounter/dr-1'], 'same id, other type: not mixed');
    assert.deepEqual(ids('Patient?identifier=urn:mrn|M-1'), ['Patient/p-1']);
  });

  it('splits many ids over several searches, each answered', async () => {
    asked.length = 0;
    const urls = Array.from({ length: 130 }, (_, i) => `DiagnosticReport?_id=dr-${i}`);
    const found = await lookUp(urls, submit);
    assert.equal(asked[0]!.length, 2);
    for (const [i, url] of urls.entries())
      assert.deepEqual(
        (found.get(url) ?? []).map((r) => r.id),
        [`dr-${i}`],
      );
  });

  it('answers the same through the store-level search, with no transaction submitted', async () => {
    asked.length = 0;
    const searched: string[] = [];
    const search: StoreSearch = recordingSearch(searched, true);
    const urls = mixedUrls;
    const bySearch = await lookUp(urls, submit, search);
    const byTransaction = await lookUp(urls, submit);
    assert.equal(asked.length, 1, 'only the transaction path submitted anything');
    assert.equal(searched.length, 4, searched.join(' | '));
    const ids = (found: typeof bySearch, url: string) => (found.get(url) ?? []).map((r) => `${r.resourceType}/${r.id}`);
    for (const url of urls) assert.deepEqual(ids(bySearch, url), ids(byTransaction, url), url);
    assert.deepEqual(ids(bySearch, 'Patient?identifier=urn:mrn|M-1'), ['Patient/p-1']);
    assert.equal(bySearch.get('DiagnosticReport?_id=dr-1')![0]!.meta?.versionId, '1', 'stored versions, meta stamped');
  });

  it('with a store read by id: every read by id of every type in one read, the same answers', async () => {
    await fhir.app.systemClient.request('DELETE', 'DiagnosticReport/dr-129');
    const searched: string[] = [];
    const reads: string[][] = [];
    const storeRead = currentResources(fhir.app.store);
    const search: StoreSearch = Object.assign(recordingSearch(searched, false), {
      readMany: (keys: ReadonlyArray<{ resourceType: string; id: string }>) => {
        reads.push(keys.map((k) => `${k.resourceType}/${k.id}`));
        return storeRead(keys);
      },
    });
    const urls = mixedUrls;
    const byRead = await lookUp(urls, submit, search);
    const byTransaction = await lookUp(urls, submit);
    assert.deepEqual(searched, ['Patient?identifier=urn%3Amrn%7CM-1'], 'only the identifier search is a search');
    assert.equal(reads.length, 1, 'one read for every id of every type');
    assert.equal(reads[0]!.length, 132, 'the distinct ids: 130 reports, the missing one, the encounter');
    const ids = (found: typeof byRead, url: string) => (found.get(url) ?? []).map((r) => `${r.resourceType}/${r.id}`);
    for (const url of urls) assert.deepEqual(ids(byRead, url), ids(byTransaction, url), url);
    assert.deepEqual(ids(byRead, 'DiagnosticReport?_id=dr-129'), [], 'a deleted resource is not found');
    assert.deepEqual(ids(byRead, 'Encounter?_id=dr-1'), ['Encounter/dr-1'], 'same id, other type: not mixed');
    assert.equal(byRead.get('DiagnosticReport?_id=dr-1')![0]!.meta?.versionId, '1', 'stored versions, meta stamped');
  });
});
