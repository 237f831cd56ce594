/**
 * Patient/$match and the duplicate check through REST (PGlite; the code above the store is shared, and the
 * blocking searches run on every store in arabic-search.*.int.test.ts): input checks, grades and scores, count and
 * onlyCertainMatches, a patient-context token that must not be matched against other patients, duplicates reported
 * on create (POST, PUT-create, transaction) and under concurrency — recorded once per pair, never merged, a
 * reviewer's decision kept — and the metric.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Basic, Bundle, OperationOutcome, Patient } from '@medplum/fhirtypes';
import type express from 'express';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { FULL_ACCESS, type AccessPolicy } from '../access-policy.js';
import { MATCH_GRADE_EXTENSION } from './match-operation.js';
import { DUPLICATE_EXTENSION } from './duplicate-check.js';
import { NATIONAL_ID } from './testing/name-population.js';

const person = (given: string, family: string, extra: Partial<Patient> = {}): Patient => ({
  resourceType: 'Patient',
  name: [{ given: [given], family }],
  gender: 'male',
  birthDate: '1985-02-14',
  ...extra,
});
const matchBody = (patient: Patient, more: Array<Record<string, unknown>> = []) => ({
  resourceType: 'Parameters',
  parameter: [{ name: 'resource', resource: patient }, ...more],
});

describe('Patient/$match and duplicate detection over REST', () => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let policy: AccessPolicy = FULL_ACCESS;
  const ids: Record<string, string> = {};

  before(async () => {
    const opened = await pgliteTestStore();
    dispose = opened.dispose;
    server = await startTestServer(opened.store, {
      resolveAccess: async (_req: express.Request) => policy,
    });
    const seed: Record<string, Patient> = {
      arabic: person('مُحَمَّد', 'أحمد علي', {
        identifier: [{ system: NATIONAL_ID, value: '11122233344' }],
        telecom: [{ system: 'phone', value: '+249912345678' }],
      }),
      mahmoud: person('محمود', 'أحمد علي'),
      namesake: person('محمد', 'أحمد علي', { birthDate: '1990-07-01' }),
      fatima: person('فاطمة', 'الطيب عثمان', { gender: 'female', birthDate: '2001-11-30' }),
    };
    for (const [key, patient] of Object.entries(seed)) {
      const created = await server.fhir('Patient', { method: 'POST', body: patient });
      assert.equal(created.status, 201, created.text);
      ids[key] = (created.body as Patient).id!;
    }
  });
  after(async () => {
    await server?.close();
    await server?.app.store.close();
    await dispose?.();
  });

  const match = async (patient: Patient, more: Array<Record<string, unknown>> = []) => {
    const response = await server.fhir('Patient/$match', { method: 'POST', body: matchBody(patient, more) });
    assert.equal(response.status, 200, response.text);
    const bundle = response.body as Bundle;
    return (bundle.entry ?? [])
      .filter((e) => e.search?.mode === 'match')
      .map((e) => ({
        id: e.resource!.id!,
        score: e.search!.score!,
        grade: e.search!.extension?.find((x) => x.url === MATCH_GRADE_EXTENSION)?.valueCode,
      }));
  };

  it('refuses malformed input with a 400 OperationOutcome', async () => {
    const bad: unknown[] = [
      person('x', 'y'),
      { resourceType: 'Parameters' },
      matchBody(person('a', 'b'), [{ name: 'resource', resource: person('c', 'd') }]),
      { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Observation' } }] },
      matchBody(person('a', 'b'), [{ name: 'count', valueInteger: 0 }]),
      matchBody(person('a', 'b'), [{ name: 'onlyCertainMatches', valueString: 'yes' }]),
      matchBody(person('a', 'b'), [{ name: 'limit', valueInteger: 3 }]),
    ];
    for (const body of bad) {
      const response = await server.fhir('Patient/$match', { method: 'POST', body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal((response.body as OperationOutcome).resourceType, 'OperationOutcome');
    }
    const get = await server.fhir('Patient/$match');
    assert.ok(get.status >= 400 && get.status < 500, `GET $match: ${get.status}`);
  });

  it('grades a Latin re-registration as probable, best first, and leaves namesakes and other names out', async () => {
    const found = await match(person('Mohamed', 'Ahmed Ali'));
    assert.equal(found[0]?.id, ids['arabic']);
    assert.equal(found[0]?.grade, 'probable');
    assert.ok(found[0].score >= 0.8 && found[0].score < 0.98);
    assert.ok(!found.some((m) => m.id === ids['namesake']), 'born another day: not a match');
    assert.ok(!found.some((m) => m.id === ids['fatima']));
    const mahmoud = found.find((m) => m.id === ids['mahmoud']);
    assert.ok(!mahmoud || mahmoud.grade === 'possible', 'another personal name is at most possible');
    for (let i = 1; i < found.length; i++) assert.ok(found[i - 1]!.score >= found[i]!.score);
    assert.equal((await match(person('Mohamed', 'Ahmed Ali'), [{ name: 'count', valueInteger: 1 }])).length, 1);
  });

  it('onlyCertainMatches: the one certain match, none when it is not certain or not the only one', async () => {
    const withPhone = person('Muhammad', 'Ahmad Aly', { telecom: [{ system: 'phone', value: '0912345678' }] });
    const certain = await match(withPhone, [{ name: 'onlyCertainMatches', valueBoolean: true }]);
    assert.deepEqual(
      certain.map((m) => [m.id, m.grade]),
      [[ids['arabic'], 'certain']],
    );
    const onlyProbable = await match(person('Mohamed', 'Ahmed Ali'), [
      { name: 'onlyCertainMatches', valueBoolean: true },
    ]);
    assert.deepEqual(onlyProbable, []);
    const byNationalId = person('محمد', 'احمد', { identifier: [{ system: NATIONAL_ID, value: '11122233344' }] });
    assert.equal((await match(byNationalId))[0]?.grade, 'certain');
  });

  it('a patient-context token is matched only against its own record; search permission is needed', async () => {
    policy = {
      who: 'Patient/fatima (test)',
      allows: (interaction, type) => type === 'Patient' && interaction !== 'delete',
      compartment: `Patient/${ids['fatima']}`,
      constraints: () => undefined,
    };
    try {
      assert.deepEqual(await match(person('Mohamed', 'Ahmed Ali')), []);
      const own = await match(person('Fatma', 'Eltayeb Osman', { gender: 'female', birthDate: '2001-11-30' }));
      assert.deepEqual(
        own.map((m) => m.id),
        [ids['fatima']],
      );
      policy = { ...FULL_ACCESS, who: 'no search', allows: (interaction) => interaction !== 'search' };
      const refused = await server.fhir('Patient/$match', {
        method: 'POST',
        body: matchBody(person('Mohamed', 'Ahmed Ali')),
      });
      assert.equal(refused.status, 403);
    } finally {
      policy = FULL_ACCESS;
    }
  });

  it('reports a probable duplicate on create without merging it, records the pair once, and counts it', async () => {
    const created = await server.fhir('Patient', {
      method: 'POST',
      body: person('Mohammed', 'Ahmed Ali'),
      headers: { prefer: 'return=OperationOutcome' },
    });
    assert.equal(created.status, 201);
    const newId = (created.headers.get('location') ?? '').split('/')[5]!;
    assert.match(
      created.headers.get('x-probable-duplicates') ?? '',
      new RegExp(`Patient/${ids['arabic']}; grade=probable`),
    );
    const warning = (created.body as OperationOutcome).issue.find((i) => i.code === 'duplicate');
    assert.equal(warning?.severity, 'warning');
    assert.match(warning?.diagnostics ?? '', new RegExp(ids['arabic']!));
    // not merged: both records are there, unchanged
    assert.equal((await server.fhir(`Patient/${newId}`)).status, 200);
    assert.equal(((await server.fhir(`Patient/${ids['arabic']}`)).body as Patient).meta?.versionId, '1');
    const pairs = await reviewRecords();
    const pair = pairs.find((b) => patientsOf(b).includes(newId));
    assert.deepEqual(patientsOf(pair!).sort(), [ids['arabic']!, newId].sort());
    assert.equal(field(pair!, 'status'), 'open');

    const metrics = await fetch(server.baseUrl.replace(/\/fhir$/, '/metrics'));
    const text = await metrics.text();
    assert.match(text, /nilecare_patient_duplicates_total\{grade="probable",source="rest"\} [1-9]/);
    assert.match(text, /nilecare_index_outdated 0/);
  });

  it('concurrent registrations of one person: every create stands, each pair is recorded exactly once', async () => {
    const before = (await reviewRecords()).length;
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        server.fhir('Patient', {
          method: 'POST',
          body: person('Fatuma', 'Altayeb Othman', {
            gender: 'female',
            birthDate: '2001-11-30',
          }),
        }),
      ),
    );
    assert.deepEqual(
      responses.map((r) => r.status),
      [201, 201, 201, 201, 201],
    );
    const newIds = responses.map((r) => (r.headers.get('location') ?? '').split('/')[5]!);
    const all = await reviewRecords();
    const keys = all.map((b) => patientsOf(b).sort().join('|'));
    assert.equal(new Set(keys).size, keys.length, 'no pair recorded twice');
    const involving = all.filter((b) => patientsOf(b).some((p) => newIds.includes(p)));
    assert.ok(involving.length >= 5, `pairs with the new records: ${involving.length}`);
    assert.ok(all.length > before);
  });

  it('a reviewed pair is not reopened; a transaction entry (the HL7 inbound path) carries the warning', async () => {
    const pair = (await reviewRecords()).find((b) => patientsOf(b).includes(ids['arabic']!))!;
    const reviewed: Basic = {
      ...pair,
      extension: [
        {
          url: DUPLICATE_EXTENSION,
          extension: pair.extension![0]!.extension!.map((x) =>
            x.url === 'status' ? { url: 'status', valueCode: 'not-duplicate' } : x,
          ),
        },
      ],
    };
    assert.equal((await server.fhir(`Basic/${pair.id}`, { method: 'PUT', body: reviewed })).status, 200);
    const transaction = await server.fhir('', {
      method: 'POST',
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ request: { method: 'POST', url: 'Patient' }, resource: person('Muhammad', 'Ahmad Ali') }],
      },
    });
    assert.equal(transaction.status, 200, transaction.text);
    const outcome = (transaction.body as Bundle).entry![0]!.response!.outcome;
    assert.equal(outcome?.issue[0]?.code, 'duplicate');
    const again = (await server.fhir(`Basic/${pair.id}`)).body as Basic;
    assert.equal(field(again, 'status'), 'not-duplicate');
    assert.equal(again.meta?.versionId, '2');
  });

  const reviewRecords = async (): Promise<Basic[]> => {
    const bundle = (await server.fhir('Basic?code=possible-duplicate&_count=200')).body as Bundle;
    return (bundle.entry ?? []).map((e) => e.resource as Basic);
  };
});

function patientsOf(basic: Basic): string[] {
  return (basic.extension?.[0]?.extension ?? [])
    .filter((x) => x.url === 'patient')
    .map((x) => x.valueReference!.reference!.replace('Patient/', ''));
}

function field(basic: Basic, name: string): string | undefined {
  return basic.extension?.[0]?.extension?.find((x) => x.url === name)?.valueCode;
}
