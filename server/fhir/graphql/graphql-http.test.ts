/**
 * $graphql over HTTP on the in-memory search store: the spec's query forms (resource by id, lists with search
 * arguments, connections, reference resolution, reverse references, list element filters, directives), the three
 * ways to send a query, malformed and abusive queries, and a patient-context token that tries to reach another
 * patient's data through a reference or a reverse reference.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { startTestServer, type FhirTestResponse, type TestServer } from '../../testing/test-server.js';
import { MemorySearchStore } from '../search/testing/memory-search-store.js';
import { policyFromScopes } from '../../auth/scope-policy.js';
import { FULL_ACCESS } from '../access-policy.js';
import { MAX_LOOKUPS } from './graphql-context.js';

const A = 'gq-a';
const B = 'gq-b';
const resources: Resource[] = [
  {
    resourceType: 'Patient',
    id: A,
    name: [
      { use: 'usual', family: 'Alpha', given: ['Al'] },
      { use: 'official', family: 'Alphason', given: ['Albert', 'Ali'] },
    ],
    gender: 'male',
    birthDate: '1970-01-01',
    generalPractitioner: [{ reference: 'Practitioner/gq-p' }],
  },
  { resourceType: 'Patient', id: B, name: [{ use: 'official', family: 'Betaname', given: ['Bea'] }], gender: 'female' },
  { resourceType: 'Practitioner', id: 'gq-p', name: [{ family: 'Docsen' }] },
  { resourceType: 'Practitioner', id: 'gq-p2', name: [{ family: 'Otherdoc' }] },
  {
    resourceType: 'Observation',
    id: 'gq-o1',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: `Patient/${A}` },
    performer: [{ reference: 'Practitioner/gq-p' }],
    effectiveDateTime: '2024-01-01',
    valueQuantity: { value: 70.5, unit: '/min' },
  },
  {
    resourceType: 'Observation',
    id: 'gq-o2',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: `Patient/${A}` },
    // hostile data: A's record names B; A's token must still not see B through it
    focus: [{ reference: `Patient/${B}` }],
    effectiveDateTime: '2024-02-01',
  },
  {
    resourceType: 'Observation',
    id: 'gq-o3',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: `Patient/${B}` },
    effectiveDateTime: '2024-03-01',
  },
  {
    resourceType: 'Condition',
    id: 'gq-c1',
    subject: { reference: `Patient/${A}` },
    code: { text: 'asthma' },
    contained: [{ resourceType: 'Practitioner', id: 'inline', name: [{ family: 'Containedsen' }] }],
    asserter: { reference: '#inline' },
  },
];

describe('$graphql over HTTP', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer(new MemorySearchStore(), {
      resolveAccess: async (req) => {
        const patient = req.get('x-test-patient');
        const scope = req.get('x-test-scope') ?? 'patient/*.rs';
        return patient ? policyFromScopes({ scope, clientId: 'graphql-test', patient }) : FULL_ACCESS;
      },
    });
    const entry = resources.map((resource) => ({
      resource,
      request: { method: 'PUT' as const, url: `${resource.resourceType}/${resource.id}` },
    }));
    const res = await server.fhir('/', {
      method: 'POST',
      body: { resourceType: 'Bundle', type: 'transaction', entry },
    });
    assert.equal(res.status, 200, res.text);
    // raw JSON so the decimal keeps its written precision
    const o1 = await server.fhir('/Observation/gq-o1', {
      method: 'PUT',
      rawBody: JSON.stringify(resources[4]).replace('"value":70.5', '"value":70.50'),
    });
    assert.equal(o1.status, 200, o1.text);
  });
  after(async () => {
    await server?.close();
  });

  const gql = (query: string, headers: Record<string, string> = {}, path = '/$graphql') =>
    server.fhir(path, {
      method: 'POST',
      rawBody: JSON.stringify({ query }),
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    });
  const ok = (res: FhirTestResponse) => {
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.body.errors, undefined, res.text);
    return res.body.data;
  };

  it('Patient(id:) with a list element filter (name(use: official)) and _count on list elements', async () => {
    const data = ok(
      await gql(`{ Patient(id: "${A}") { id resourceType name(use: official) { family given(_count: 1) } gender } }`),
    );
    assert.deepEqual(data.Patient, {
      id: A,
      resourceType: 'Patient',
      name: [{ family: 'Alphason', given: ['Albert'] }],
      gender: 'male',
    });
  });

  it('GET ?query=, POST application/graphql and POST JSON with variables and operationName answer alike', async () => {
    const query = `query Q($family: String) { PatientList(family: $family) { id } } query Other { PatientList { id } }`;
    const viaJson = await server.fhir('/$graphql', {
      method: 'POST',
      rawBody: JSON.stringify({ query, variables: { family: 'Betaname' }, operationName: 'Q' }),
      headers: { 'content-type': 'application/json' },
    });
    assert.deepEqual(ok(viaJson), { PatientList: [{ id: B }] });
    const simple = '{ PatientList(family: "Betaname") { id } }';
    const viaGet = await server.fhir(`/$graphql?query=${encodeURIComponent(simple)}`);
    assert.deepEqual(ok(viaGet), { PatientList: [{ id: B }] });
    const viaText = await server.fhir('/$graphql', {
      method: 'POST',
      rawBody: simple,
      headers: { 'content-type': 'application/graphql' },
    });
    assert.deepEqual(ok(viaText), { PatientList: [{ id: B }] });
    const viaParameters = await server.fhir('/$graphql', {
      method: 'POST',
      body: { resourceType: 'Parameters', parameter: [{ name: 'query', valueString: simple }] },
    });
    assert.deepEqual(ok(viaParameters), { PatientList: [{ id: B }] });
  });

  it('lists take the search parameters as arguments (dash written as underscore) and _sort', async () => {
    const data = ok(
      await gql(`{ ObservationList(subject: "Patient/${A}", _sort: "-date") { id }
                   g: PatientList(general_practitioner: "Practitioner/gq-p") { id } }`),
    );
    assert.deepEqual(data.ObservationList, [{ id: 'gq-o2' }, { id: 'gq-o1' }]);
    assert.deepEqual(data.g, [{ id: A }]);
  });

  it('references resolve (type argument, contained #id) and reverse references search with _reference', async () => {
    const data = ok(
      await gql(`{ Patient(id: "${A}") {
          generalPractitioner { resource { ... on Practitioner { name { family } } } }
          asPatient: generalPractitioner { resource(type: "Patient") { ... on Patient { id } } }
          ObservationList(_reference: subject, _sort: "date") { id valueQuantity { value } }
          ConditionList(_reference: patient) { id asserter { reference resource { ... on Practitioner { name { family } } } } }
        } }`),
    );
    assert.deepEqual(data.Patient.generalPractitioner, [{ resource: { name: [{ family: 'Docsen' }] } }]);
    assert.deepEqual(data.Patient.asPatient, [{ resource: null }]);
    assert.deepEqual(
      data.Patient.ObservationList.map((o: { id: string }) => o.id),
      ['gq-o1', 'gq-o2'],
    );
    assert.deepEqual(data.Patient.ConditionList, [
      { id: 'gq-c1', asserter: { reference: '#inline', resource: { name: [{ family: 'Containedsen' }] } } },
    ]);
  });

  it('decimals keep the precision they were stored with', async () => {
    const res = await gql(`{ Observation(id: "gq-o1") { valueQuantity { value } } }`);
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /"value":70\.50/);
  });

  it('Connection: count, offset, pagesize, next/previous cursors and edges with mode', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const after: string = cursor ? `, _cursor: ${JSON.stringify(cursor)}` : '';
      const data = ok(
        await gql(`{ ObservationConnection(code: "8867-4", _count: 2${after}) {
            count offset pagesize first previous next last edges { mode score resource { id } } } }`),
      );
      const c = data.ObservationConnection;
      assert.equal(c.count, 3);
      assert.equal(c.pagesize, 2);
      assert.equal(c.offset, seen.length);
      assert.equal(c.last, null);
      for (const e of c.edges) {
        assert.equal(e.mode, 'match');
        seen.push(e.resource.id);
      }
      cursor = c.next;
      if (!cursor) break;
    }
    assert.deepEqual(seen.sort(), ['gq-o1', 'gq-o2', 'gq-o3']);
  });

  it('instance level: the focus resource is the root; an unknown one is 404 as in REST', async () => {
    const data = ok(
      await gql(
        `{ id name(use: usual) { family } ObservationList(_reference: subject) { id } }`,
        {},
        `/Patient/${A}/$graphql`,
      ),
    );
    assert.deepEqual(data, { id: A, name: [{ family: 'Alpha' }], ObservationList: [{ id: 'gq-o1' }, { id: 'gq-o2' }] });
    const missing = await gql('{ id }', {}, '/Patient/nobody-here/$graphql');
    assert.equal(missing.status, 404, missing.text);
    assert.equal(missing.body.resourceType, 'OperationOutcome');
  });

  it('@first, @flatten and @singleton reshape the result', async () => {
    const data = ok(
      await gql(`{ Patient(id: "${A}") { id name(use: official) @first @flatten { family @singleton given } } }`),
    );
    assert.deepEqual(data.Patient, { id: A, family: 'Alphason', given: ['Albert', 'Ali'] });
  });

  it('a field that cannot be resolved is a GraphQL error beside the other data', async () => {
    const res = await gql(`{ Patient(id: "nobody-here") { id } PatientList(family: "Betaname") { id } }`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.Patient, null);
    assert.deepEqual(res.body.data.PatientList, [{ id: B }]);
    assert.equal(res.body.errors.length, 1);
    assert.deepEqual(res.body.errors[0].path, ['Patient']);
    assert.equal(res.body.errors[0].extensions.status, 404);
  });

  describe('malformed requests', () => {
    const outcome = (res: FhirTestResponse, pattern: RegExp) => {
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.resourceType, 'OperationOutcome', res.text);
      assert.match(res.body.issue[0].diagnostics, pattern);
    };
    const graphqlErrors = (res: FhirTestResponse, pattern: RegExp) => {
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.data, undefined);
      assert.ok(
        res.body.errors.some((e: { message: string }) => pattern.test(e.message)),
        res.text,
      );
    };

    it('no query, bad JSON variables, a body that is not an object: 400 OperationOutcome', async () => {
      outcome(await server.fhir('/$graphql'), /needs a query/);
      outcome(
        await server.fhir(`/$graphql?query=${encodeURIComponent('{ PatientList { id } }')}&variables=%7Bnot`),
        /variables is not JSON/,
      );
      outcome(
        await server.fhir('/$graphql', {
          method: 'POST',
          rawBody: '[1]',
          headers: { 'content-type': 'application/json' },
        }),
        /JSON object/,
      );
      outcome(await gql('   '), /needs a query/);
    });

    it('a GraphQL syntax error: 400 OperationOutcome saying where', async () => {
      outcome(await gql('{ Patient(id: "x") { id '), /GraphQL syntax error/);
      outcome(await gql('}}}'), /GraphQL syntax error/);
    });

    it('unknown fields, wrong argument types, mutations and introspection: 400 {errors}', async () => {
      graphqlErrors(await gql('{ PatientList { nonsense } }'), /Cannot query field "nonsense"/);
      graphqlErrors(await gql('{ PatientList(nonsense: "x") { id } }'), /Unknown argument "nonsense"/);
      graphqlErrors(await gql('{ PatientList(_count: "ten") { id } }'), /Int cannot represent/);
      graphqlErrors(await gql('{ Patient(id: "x") { ObservationList(_reference: nonsense) { id } } }'), /nonsense/);
      graphqlErrors(await gql('mutation { PatientCreate { id } }'), /mutation/i);
      graphqlErrors(await gql('{ __schema { types { name } } }'), /introspection/i);
    });

    it('a search value the REST parser refuses is a field error with status 400', async () => {
      const res = await gql('{ ObservationList(date: "notadate") { id } }');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.ObservationList, null);
      assert.equal(res.body.errors[0].extensions.status, 400);
    });
  });

  describe('abuse limits', () => {
    it('deep nesting is refused before anything is fetched', async () => {
      let inner = 'id';
      for (let i = 0; i < 10; i++) inner = `generalPractitioner { resource { ... on Patient { ${inner} } } }`;
      const res = await gql(`{ Patient(id: "${A}") { ${inner} } }`);
      assert.equal(res.status, 400, res.text);
      assert.match(res.body.errors[0].message, /nested deeper than 15/);
    });

    it('a fragment bomb is refused by the field count (fragments expanded)', async () => {
      const fragments = ['fragment F0 on HumanName { family given text }'];
      for (let i = 1; i < 12; i++)
        fragments.push(`fragment F${i} on HumanName { ...F${i - 1} a${i}: family ...F${i - 1} }`);
      const res = await gql(`{ PatientList { name { ...F11 } } } ${fragments.join(' ')}`);
      assert.equal(res.status, 400, res.text);
      assert.match(res.body.errors[0].message, /more than 2000 fields/);
    });

    it('more resource lookups than the budget: the rest are errors, not store work', async () => {
      const fields = Array.from({ length: MAX_LOOKUPS + 5 }, (_, i) => `p${i}: Patient(id: "missing-${i}") { id }`);
      const res = await gql(`{ ${fields.join(' ')} }`);
      assert.equal(res.status, 200, res.text);
      const codes = res.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code);
      assert.equal(codes.filter((c: string) => c === 'too-costly').length, 5);
    });
  });

  describe('a patient-context token (patient A)', () => {
    const asA = { 'x-test-patient': A };

    it('lists and connections hold only A and what A refers to', async () => {
      const data = ok(
        await gql(
          `{ PatientList { id } ObservationList { id } ObservationConnection { count edges { resource { id } } } }`,
          asA,
        ),
      );
      assert.deepEqual(data.PatientList, [{ id: A }]);
      assert.deepEqual(data.ObservationList.map((o: { id: string }) => o.id).sort(), ['gq-o1', 'gq-o2']);
      assert.equal(data.ObservationConnection.count, 2);
    });

    it('Patient(id: B) and B as the instance root are refused as REST refuses GET Patient/B', async () => {
      const res = await gql(`{ Patient(id: "${B}") { id name { family } } }`, asA);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.Patient, null);
      assert.equal(res.body.errors[0].extensions.status, 403);
      assert.doesNotMatch(res.text, /Betaname/);
      const rest = await server.fhir(`/Patient/${B}`, { headers: asA });
      assert.equal(rest.status, 403);
      const instance = await gql('{ id name { family } }', asA, `/Patient/${B}/$graphql`);
      assert.equal(instance.status, 403, instance.text);
      assert.doesNotMatch(instance.text, /Betaname/);
    });

    it('a reference in A record to B does not resolve to B (optional: null without error)', async () => {
      const res = await gql(
        `{ Observation(id: "gq-o2") { focus { reference resource { ... on Patient { name { family } } } } }
           o: Observation(id: "gq-o2") { focus { resource(optional: true) { ... on Patient { id } } } } }`,
        asA,
      );
      assert.equal(res.status, 200, res.text);
      assert.doesNotMatch(res.text, /Betaname/);
      assert.deepEqual(res.body.data.Observation.focus, [{ reference: `Patient/${B}`, resource: null }]);
      assert.deepEqual(res.body.data.o.focus, [{ resource: null }]);
      assert.equal(res.body.errors.length, 1);
      assert.equal(res.body.errors[0].extensions.status, 403);
    });

    it('reverse references from A see only what a REST search sees; B resources stay out', async () => {
      const data = ok(
        await gql(`{ Patient(id: "${A}") { ObservationList(_reference: subject) { id subject { reference } } } }`, asA),
      );
      assert.deepEqual(data.Patient.ObservationList.map((o: { id: string }) => o.id).sort(), ['gq-o1', 'gq-o2']);
      // a reverse reference naming B by hand is the REST search Observation?subject=Patient/B: confined to A
      const direct = ok(await gql(`{ ObservationList(subject: "Patient/${B}") { id } }`, asA));
      assert.deepEqual(direct.ObservationList, []);
      const rest = await server.fhir(`/Observation?subject=Patient/${B}`, { headers: asA });
      assert.equal((rest.body as Bundle).entry?.length ?? 0, 0);
    });

    it('the practitioner A refers to resolves; another practitioner does not', async () => {
      const res = await gql(
        `{ Patient(id: "${A}") { generalPractitioner { resource { ... on Practitioner { id } } } } Practitioner(id: "gq-p2") { id } }`,
        asA,
      );
      assert.deepEqual(res.body.data.Patient.generalPractitioner, [{ resource: { id: 'gq-p' } }]);
      assert.equal(res.body.data.Practitioner, null);
      assert.equal(res.body.errors[0].extensions.status, 403);
    });

    it('a token without Observation scopes gets an error for the Observation list, not the data', async () => {
      const res = await gql(`{ Patient(id: "${A}") { id ObservationList(_reference: subject) { id } } }`, {
        ...asA,
        'x-test-scope': 'patient/Patient.rs',
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data.Patient, { id: A, ObservationList: null });
      assert.equal(res.body.errors[0].extensions.status, 403);
    });
  });

  it('the CapabilityStatement lists $graphql', async () => {
    const res = await server.fhir('/metadata');
    const ops = JSON.stringify(res.body.rest[0]);
    assert.match(ops, /OperationDefinition\/Resource-graphql/);
  });
});
