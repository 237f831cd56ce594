/**
 * GraphQL lists compared with the search oracle (FHIRPath over the raw resources, never the production parser or
 * store) on the Synthea corpus: top-level Connections paged to the end, reverse references per patient, resolved
 * references, and what a patient-context token sees (the oracle's patient compartment). Skipped with a message when
 * the corpus is absent; fails under CI=true.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { MemorySearchStore } from '../search/testing/memory-search-store.js';
import { SearchOracle } from '../search/testing/oracle/search-oracle.js';
import { loadSynthea, syntheaMissing } from '../search/testing/synthea-loader.js';
import { policyFromScopes } from '../../auth/scope-policy.js';
import { FULL_ACCESS } from '../access-policy.js';

const missing = syntheaMissing();

describe('$graphql lists against the search oracle (Synthea)', { skip: missing }, () => {
  let server: TestServer;
  let oracle: SearchOracle;
  let loaded: Resource[];

  before(async () => {
    const store = new MemorySearchStore();
    loaded = await loadSynthea(store);
    server = await startTestServer(store, {
      resolveAccess: async (req) => {
        const patient = req.get('x-test-patient');
        return patient ? policyFromScopes({ scope: 'patient/*.rs', clientId: 'graphql-oracle', patient }) : FULL_ACCESS;
      },
    });
    oracle = new SearchOracle(loaded, server.baseUrl);
  });
  after(async () => {
    await server?.close();
  });

  async function gql(query: string, headers: Record<string, string> = {}) {
    const res = await server.fhir('/$graphql', {
      method: 'POST',
      rawBody: JSON.stringify({ query }),
      headers: { 'content-type': 'application/json', ...headers },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.errors, undefined, res.text.slice(0, 2000));
    return res.body.data;
  }

  /** Every match of a Connection, following `next` to the end. */
  async function connectionIds(type: string, args: string, headers: Record<string, string> = {}) {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 200; page++) {
      const more: string = cursor ? `, _cursor: ${JSON.stringify(cursor)}` : '';
      const data = await gql(
        `{ c: ${type}Connection(${args}${args ? ', ' : ''}_count: 50${more}) { count next edges { resource { id } } } }`,
        headers,
      );
      for (const e of data.c.edges as Array<{ resource: { id: string } }>) ids.push(`${type}/${e.resource.id}`);
      cursor = data.c.next as string | null;
      if (!cursor) return { ids: ids.sort(), count: data.c.count as number | undefined };
    }
    throw new Error('more than 200 pages');
  }

  const cases: Array<{ type: string; args: Record<string, string> }> = [
    { type: 'Patient', args: { gender: 'female' } },
    { type: 'Patient', args: { birthdate: 'lt1970' } },
    { type: 'Observation', args: { code: 'http://loinc.org|8302-2' } },
    { type: 'Observation', args: { category: 'vital-signs', date: 'ge2015-01-01' } },
    { type: 'Observation', args: { status: 'final', 'value-quantity': 'gt100' } },
    { type: 'Condition', args: { 'clinical-status': 'active' } },
    { type: 'Encounter', args: { status: 'finished', date: 'lt2012' } },
    { type: 'Immunization', args: {} },
  ];

  for (const { type, args } of cases) {
    it(`${type}Connection(${JSON.stringify(args)}) pages through exactly the oracle's matches`, async () => {
      const text = Object.entries(args)
        .map(([k, v]) => `${k.replace(/-/g, '_')}: ${JSON.stringify(v)}`)
        .join(', ');
      const expected = oracle.search([type], Object.entries(args));
      const { ids, count } = await connectionIds(type, text);
      assert.deepEqual(ids, expected);
      assert.equal(count, expected.length);
      const list = await gql(`{ l: ${type}List(${text}${text ? ', ' : ''}_count: 1000) { id } }`);
      assert.deepEqual((list.l as Array<{ id: string }>).map((r) => `${type}/${r.id}`).sort(), expected);
    });
  }

  it('reverse references of every patient are the oracle search Type?param=Patient/id', async () => {
    const patients = oracle.all(['Patient']).map((p) => p.id!);
    assert.ok(patients.length >= 4);
    for (const id of patients) {
      const data = await gql(`{ Patient(id: "${id}") {
          ObservationList(_reference: subject, _count: 1000) { id }
          ConditionList(_reference: patient, _count: 1000) { id }
          EncounterList(_reference: subject, _count: 1000) { id }
          MedicationRequestList(_reference: patient, _count: 1000) { id } } }`);
      for (const [field, type, param] of [
        ['ObservationList', 'Observation', 'subject'],
        ['ConditionList', 'Condition', 'patient'],
        ['EncounterList', 'Encounter', 'subject'],
        ['MedicationRequestList', 'MedicationRequest', 'patient'],
      ] as const) {
        const got = (data.Patient[field] as Array<{ id: string }>).map((r) => `${type}/${r.id}`).sort();
        assert.deepEqual(got, oracle.search([type], [[param, `Patient/${id}`]]), `${field} of Patient/${id}`);
      }
    }
  });

  it('resolved references are the resources the references name', async () => {
    const data = await gql(`{ EncounterList(_count: 40) { id
        subject { reference resource { ... on Patient { id } } }
        serviceProvider { reference resource(optional: true) { ... on Organization { id } } } } }`);
    let resolved = 0;
    for (const e of data.EncounterList as Array<
      Record<string, { reference?: string; resource: { id: string } | null }>
    >) {
      for (const field of ['subject', 'serviceProvider']) {
        const ref = e[field];
        if (!ref?.reference) continue;
        const target = oracle.get(ref.reference);
        assert.equal(ref.resource?.id ?? null, target?.id ?? null, `${field} ${ref.reference}`);
        if (ref.resource) resolved++;
      }
    }
    assert.ok(resolved > 40, `resolved ${resolved}`);
  });

  it('a patient-context token lists exactly its compartment (oracle) and no other patient', async () => {
    // the patient with the most Observations (some Synthea patients of the small bundles have none)
    const observationsOf = (id: string) =>
      oracle.all(['Observation']).filter((r) => oracle.inPatientCompartment(r, id)).length;
    const patient = oracle
      .all(['Patient'])
      .map((p) => p.id!)
      .sort((a, b) => observationsOf(b) - observationsOf(a))[0]!;
    const headers = { 'x-test-patient': patient };
    for (const type of ['Observation', 'Condition', 'Encounter']) {
      const expected = oracle
        .all([type])
        .filter((r) => oracle.inPatientCompartment(r, patient))
        .map((r) => `${type}/${r.id}`)
        .sort();
      assert.ok(expected.length > 0, type);
      assert.deepEqual((await connectionIds(type, '', headers)).ids, expected, type);
    }
    const patients = await gql('{ PatientList(_count: 1000) { id } }', headers);
    assert.deepEqual(patients.PatientList, [{ id: patient }]);
  });
});
