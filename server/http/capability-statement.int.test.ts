/**
 * The CapabilityStatement against the server's behaviour, in both directions (issue #25), over HTTP on PGlite:
 * - every search control/result parameter it lists (rest.searchParam) is accepted by a strict search, and every
 *   search-wide parameter of the R4 spec it does not list (neither there nor among Patient's searchParam) is refused
 *   with a 400 OperationOutcome;
 * - every operation it lists is routed at that level, and every operation of the R4 list it does not list at a
 *   level answers 404 "Operation $x is not supported at … level" there (probed with DELETE, which no operation but
 *   $export-poll-status takes: a routed operation answers 405, or 404 for a poll without a job; nothing runs).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { pgliteTestStore } from '../store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

/** Search-wide parameters of R4 (search.html: Resource/DomainResource parameters, result and control parameters). */
const SPEC_SEARCH_WIDE = [
  '_id',
  '_lastUpdated',
  '_tag',
  '_profile',
  '_security',
  '_source',
  '_text',
  '_content',
  '_list',
  '_has',
  '_type',
  '_query',
  '_filter',
  '_sort',
  '_count',
  '_include',
  '_revinclude',
  '_summary',
  '_total',
  '_elements',
  '_contained',
  '_containedType',
  '_format',
  '_pretty',
  '_score',
  '_graph',
];

/** Operations defined in R4 (operationslist.html) and in the specifications this server follows. */
const SPEC_OPERATIONS = [
  'apply',
  'closure',
  'conforms',
  'data-requirements',
  'document',
  'evaluate-measure',
  'everything',
  'expand',
  'export',
  'find',
  'graphql',
  'implements',
  'lastn',
  'lookup',
  'match',
  'member-match',
  'meta',
  'meta-add',
  'meta-delete',
  'populate',
  'populatehtml',
  'populatelink',
  'process-message',
  'questionnaire',
  'stats',
  'subset',
  'subsumes',
  'transform',
  'translate',
  'validate',
  'validate-code',
  'versions',
  'collect-data',
  'submit-data',
  'care-gaps',
  'status',
  'events',
  'get-ws-binding-token',
];

const TYPES_PROBED = ['Patient', 'Observation', 'ValueSet', 'CodeSystem', 'ConceptMap', 'Encounter', 'Basic'];

describe('CapabilityStatement: what it lists is what the server accepts', () => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let cs: CapabilityStatement;
  let patientId: string;
  let cursor: string;
  let listId: string;
  before(async () => {
    const opened = await pgliteTestStore();
    dispose = opened.dispose;
    server = await startTestServer(opened.store);
    const ids: string[] = [];
    for (const family of ['Capa', 'Capb']) {
      const res = await server.fhir('/Patient', {
        method: 'POST',
        body: {
          resourceType: 'Patient',
          name: [{ family }],
          text: { status: 'generated', div: `<div>${family}</div>` },
        },
      });
      assert.equal(res.status, 201, res.text);
      ids.push(res.body.id as string);
    }
    patientId = ids[0]!;
    const list = await server.fhir('/List', {
      method: 'POST',
      body: {
        resourceType: 'List',
        status: 'current',
        mode: 'working',
        entry: [{ item: { reference: `Patient/${patientId}` } }],
      },
    });
    assert.equal(list.status, 201, list.text);
    listId = list.body.id as string;
    const page = await server.fhir('/Patient?_count=1');
    const next = (page.body.link as Array<{ relation: string; url: string }>).find((l) => l.relation === 'next')!.url;
    cursor = new URL(next).searchParams.get('_cursor')!;
    const metadata = await server.fhir('/metadata');
    assert.equal(metadata.status, 200);
    cs = metadata.body as CapabilityStatement;
  });
  after(async () => {
    await server?.close();
    await server?.app.store.close();
    await dispose?.();
  });

  const strict = { headers: { prefer: 'handling=strict' } };
  const listed = () => (cs.rest![0]!.searchParam ?? []).map((p) => p.name);
  const patientParams = () =>
    (cs.rest![0]!.resource!.find((r) => r.type === 'Patient')!.searchParam ?? []).map((p) => p.name);

  it('every control/result parameter listed is accepted by a strict search; the spec-wide ones are listed', async () => {
    const examples: Record<string, [string, string]> = {
      _count: ['_count', '1'],
      _sort: ['_sort', '-_lastUpdated'],
      _total: ['_total', 'accurate'],
      _summary: ['_summary', 'true'],
      _elements: ['_elements', 'name'],
      _include: ['_include', 'Patient:general-practitioner'],
      _revinclude: ['_revinclude', 'Observation:subject'],
      _has: ['_has:Observation:subject:code', 'http://loinc.org|8867-4'],
      _filter: ['_filter', 'family eq Capa'],
      _list: ['_list', listId],
      _text: ['_text', 'Capa'],
      _content: ['_content', 'Capa'],
      _contained: ['_contained', 'false'],
      _containedType: ['_containedType', 'container'],
      _cursor: ['_cursor', cursor],
      _format: ['_format', 'json'],
      _pretty: ['_pretty', 'true'],
      _type: ['_type', 'Patient'],
    };
    const names = listed();
    assert.ok(names.length >= 15, `rest.searchParam lists the control parameters: ${names.join(', ')}`);
    for (const name of names) {
      const example = examples[name];
      assert.ok(example, `${name} is listed: give it an example here`);
      // _type only in a search across all types
      const path = name === '_type' ? '/' : '/Patient';
      const res = await server.fhir(`${path}?${new URLSearchParams([example]).toString()}`, strict);
      assert.equal(res.status, 200, `${name}: ${res.text.slice(0, 300)}`);
      assert.equal(res.body.resourceType, 'Bundle', name);
    }
    const acceptedIds = await server.fhir(`/Patient?_filter=${encodeURIComponent('family eq Capa')}`, strict);
    assert.deepEqual(
      (acceptedIds.body.entry as Array<{ resource: { id: string } }>).map((e) => e.resource.id),
      [patientId],
      'and does what it says (_filter)',
    );
  });

  it('every search-wide parameter of the spec that is not listed is refused with a 400 OperationOutcome', async () => {
    const all = new Set([...listed(), ...patientParams()]);
    const refused = SPEC_SEARCH_WIDE.filter((n) => !all.has(n));
    for (const name of refused) {
      const res = await server.fhir(`/Patient?${name}=x`, strict);
      assert.equal(res.status, 400, `${name} is not listed, yet answered ${res.status}: ${res.text.slice(0, 200)}`);
      assert.equal(res.body.resourceType, 'OperationOutcome', name);
    }
    // and the ones that are listed per type (the resource-level ones) are accepted
    for (const name of SPEC_SEARCH_WIDE.filter((n) => patientParams().includes(n) && !listed().includes(n))) {
      const value =
        name === '_lastUpdated' ? 'ge2000-01-01' : name === '_profile' || name === '_source' ? 'http://x' : 'x';
      const res = await server.fhir(`/Patient?${name}=${value}`, strict);
      assert.equal(res.status, 200, `${name}: ${res.text.slice(0, 200)}`);
    }
    const unknown = await server.fhir('/Patient?_nonsense=1', strict);
    assert.equal(unknown.status, 400, 'an unknown control parameter is refused');
  });

  it('every operation listed answers at its level; no other operation of the spec does', async () => {
    const rest = cs.rest![0]!;
    const system = new Set((rest.operation ?? []).map((o) => o.name));
    const universe = new Set([
      ...SPEC_OPERATIONS,
      ...system,
      ...rest.resource!.flatMap((r) => (r.operation ?? []).map((o) => o.name)),
    ]);
    // 'routed', or 'unknown' when the router says the operation is not supported there
    const probe = async (path: string) => {
      const res = await server.fhir(path, { method: 'DELETE' });
      if (res.status === 404 && /^Operation \$\S+ is not supported at/.test(messageOf(res.body))) return 'unknown';
      return 'routed';
    };
    for (const name of universe) {
      const status = await probe(`/$${name}`);
      assert.equal(status, system.has(name) ? 'routed' : 'unknown', `system $${name}`);
    }
    for (const type of TYPES_PROBED) {
      const ops = new Set((rest.resource!.find((r) => r.type === type)?.operation ?? []).map((o) => o.name));
      for (const name of universe) {
        const statuses = [await probe(`/${type}/$${name}`), await probe(`/${type}/${patientId}/$${name}`)];
        if (ops.has(name)) assert.ok(statuses.includes('routed'), `${type} $${name} is listed: ${statuses.join(', ')}`);
        else assert.deepEqual(statuses, ['unknown', 'unknown'], `${type} $${name} is not listed`);
      }
    }
    assert.ok(system.size > 0 && universe.size > SPEC_OPERATIONS.length - 5);
  });
});

function messageOf(body: unknown): string {
  const issue = (body as { issue?: Array<{ diagnostics?: string; details?: { text?: string } }> } | undefined)
    ?.issue?.[0];
  return issue?.diagnostics ?? issue?.details?.text ?? '';
}
