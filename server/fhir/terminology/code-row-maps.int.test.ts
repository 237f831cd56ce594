/**
 * fhir_mappings code rows as ConceptMaps (issue #23), end to end on the embedded server: a code row of the embedded
 * nilecare_interop.fhir_mappings is moved into a ConceptMap (its scope kept) and deactivated; from then on a REST
 * edit of that ConceptMap changes the next inbound messages, without a restart; a ConceptMap edit changes a
 * projection's code mapping (a Claim's SNOMED diagnosis → ICD-10) the same way; concurrent edits with If-Match leave
 * one winner, which the HL7 path uses; a token without write scope changes nothing; malformed code-table maps are
 * refused with an OperationOutcome.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Claim, ConceptMap } from '@medplum/fhirtypes';
import { loadConfig } from '../../config.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { openPgliteTestStore } from '../../store/postgres/testing/pglite-template.js';
import type { ResourceStore } from '../../store/resource-store.js';
import { startHl7, type Hl7Runtime } from '../../hl7-wiring.js';
import { FULL_ACCESS } from '../access-policy.js';
import { policyFromScopes } from '../../auth/scope-policy.js';
import { sendOnce } from '../../../adapters/hl7v2/mllp/mllp-client.js';
import { prepareChanges } from '../../../adapters/outbox/deliver.js';
import { billingProjection } from '../../../adapters/billing/billing-projection.js';
import { CODE_TABLE_SYSTEM, SCOPE_EXTENSION } from './code-table-scope.js';

const adt = (controlId: string, app: string) =>
  `MSH|^~\\&|${app}|KTH|NILE|NC|20260301120000||ADT^A04^ADT_A01|${controlId}|P|2.5.1\rEVN|A04|20260301120000\r` +
  `PID|1||${controlId}^^^KTH^MR||Moved^Hawa||19800101|F\rPV1|1|O`;

const SNOMED = 'http://snomed.info/sct';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const pneumoniaMap = (icd: string): ConceptMap => ({
  resourceType: 'ConceptMap',
  id: 'snomed-icd10-claims',
  url: 'https://nilecare.sd/fhir/ConceptMap/snomed-icd10-claims',
  status: 'active',
  group: [
    {
      source: SNOMED,
      target: ICD10,
      element: [{ code: '233604007', target: [{ code: icd, equivalence: 'equivalent' }] }],
    },
  ],
});

describe('fhir_mappings code rows as ConceptMaps', () => {
  let store: ResourceStore;
  let server: TestServer;
  let hl7: Hl7Runtime | undefined;
  let sent = 0;
  let mapId = '';
  const env = { MLLP_PORT: '0', LOG_LEVEL: 'silent', INTEROP_MYSQL_URL: '' };
  const interop = async (sql: string, params: unknown[] = []) =>
    (await (await server.app.state.embeddedInteropDb()).db.query(sql, params)).rows as Record<string, unknown>[];

  /** The gender the next messages from `app` get, once the mapping check (every second) has seen the change. */
  const genderBecomes = async (expected: string, app = 'REG'): Promise<unknown> => {
    let gender: unknown;
    for (let i = 0; i < 40 && gender !== expected; i++) {
      const id = `ROW-${++sent}`;
      const ack = await sendOnce({ host: '127.0.0.1', port: hl7!.server.port, timeoutMs: 30_000 }, adt(id, app));
      assert.match(ack, /MSA\|AA/);
      gender = (await server.fhir(`Patient?identifier=${id}`)).body.entry?.[0]?.resource?.gender;
      if (gender !== expected) await new Promise((r) => setTimeout(r, 250));
    }
    return gender;
  };

  before(async () => {
    store = await openPgliteTestStore();
    server = await startTestServer(store, {
      env,
      // no token: the test itself (full access); `Bearer <scopes>`: a SMART token with those scopes
      resolveAccess: async (req) => {
        const bearer = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
        return bearer ? policyFromScopes({ scope: bearer[1]!, clientId: 'hostile' }) : FULL_ACCESS;
      },
    });
    hl7 = await startHl7(loadConfig({ ...env, NILECARE_AUTH: 'disabled' }), server.app, pino({ level: 'silent' }), {});
    assert.ok(hl7);
  });
  after(async () => {
    await hl7?.close();
    await server?.close();
    await store?.close();
  });

  it('moves a scoped code row into a ConceptMap, keeps its scope, and deactivates the row', async () => {
    const [row] = await interop(
      `INSERT INTO fhir_mappings (name, direction, message_type, sending_application, code_map, priority)
       VALUES ('AdministrativeSex', 'hl7_to_fhir', 'ADT', 'REG', $1::jsonb, 50) RETURNING id`,
      [JSON.stringify({ F: 'other' })],
    );
    assert.equal(await genderBecomes('other'), 'other');
    assert.equal(await genderBecomes('female', 'LAB'), 'female', 'a LAB message is outside the scope');
    mapId = `fhir-mappings-${String(row!.id)}`;
    const [after] = await interop('SELECT is_active, description FROM fhir_mappings WHERE id = $1', [row!.id]);
    assert.equal(after!.is_active, false);
    assert.match(String(after!.description), new RegExp(`Moved to ConceptMap/${mapId}`));

    const read = await server.fhir(`ConceptMap/${mapId}`);
    assert.equal(read.status, 200, read.text);
    const map = read.body as ConceptMap;
    assert.deepEqual(map.identifier, { system: CODE_TABLE_SYSTEM, value: 'AdministrativeSex' });
    assert.deepEqual(map.extension, [
      {
        url: SCOPE_EXTENSION,
        extension: [
          { url: 'messageType', valueString: 'ADT' },
          { url: 'sendingApplication', valueString: 'REG' },
          { url: 'priority', valueInteger: 50 },
        ],
      },
    ]);
    assert.deepEqual(map.group, [{ element: [{ code: 'F', target: [{ code: 'other', equivalence: 'equivalent' }] }] }]);
    const found = await server.fhir(
      `ConceptMap?identifier=${encodeURIComponent(`${CODE_TABLE_SYSTEM}|AdministrativeSex`)}`,
    );
    assert.deepEqual(
      found.body.entry.map((e: { resource: ConceptMap }) => e.resource.id),
      [mapId],
    );
    const translated = await server.fhir(`ConceptMap/${mapId}/$translate?code=F&system=x`);
    assert.equal(translated.status, 200, translated.text);
  });

  it('a REST edit of the moved map changes the next messages, no restart; the row stays inactive', async () => {
    const map = (await server.fhir(`ConceptMap/${mapId}`)).body as ConceptMap;
    map.group![0]!.element[0]!.target![0]!.code = 'unknown';
    const put = await server.fhir(`ConceptMap/${mapId}`, { method: 'PUT', body: map });
    assert.equal(put.status, 200, put.text);
    assert.equal(await genderBecomes('unknown'), 'unknown');
    assert.equal(await genderBecomes('female', 'LAB'), 'female');
    const active = await interop(
      'SELECT count(*)::int AS n FROM fhir_mappings WHERE is_active AND code_map IS NOT NULL',
    );
    assert.equal(active[0]!.n, 0, 'no second place holds the codes');
  });

  it('concurrent edits with If-Match: one wins, and the HL7 path uses the winner', async () => {
    const current = await server.fhir(`ConceptMap/${mapId}`);
    const etag = current.headers.get('etag')!;
    const codes = ['male', 'other', 'unknown', 'female', 'male', 'other'];
    const answers = await Promise.all(
      codes.map((code) => {
        const map = structuredClone(current.body) as ConceptMap;
        map.group![0]!.element[0]!.target![0]!.code = code;
        map.title = `edit ${code}`;
        return server.fhir(`ConceptMap/${mapId}`, { method: 'PUT', body: map, headers: { 'if-match': etag } });
      }),
    );
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 412, 412, 412, 412, 412], answers.map((a) => a.text).join('\n'));
    const winner = (await server.fhir(`ConceptMap/${mapId}`)).body as ConceptMap;
    assert.equal(winner.meta!.versionId, String(Number(current.body.meta.versionId) + 1));
    const code = winner.group![0]!.element[0]!.target![0]!.code!;
    assert.equal(await genderBecomes(code), code);
  });

  it('a token without write scope cannot change the map (403), and the mapping stays', async () => {
    const before = (await server.fhir(`ConceptMap/${mapId}`)).body as ConceptMap;
    const code = before.group![0]!.element[0]!.target![0]!.code!;
    const edit = structuredClone(before);
    edit.group![0]!.element[0]!.target![0]!.code = code === 'male' ? 'other' : 'male';
    for (const scope of ['system/ConceptMap.read', 'system/*.read', 'patient/*.*', 'system/Patient.write']) {
      const headers = { authorization: `Bearer ${scope}` };
      const put = await server.fhir(`ConceptMap/${mapId}`, { method: 'PUT', body: edit, headers });
      assert.ok([401, 403].includes(put.status), `${scope}: ${put.status} ${put.text}`);
      assert.equal(put.body.resourceType, 'OperationOutcome');
      const del = await server.fhir(`ConceptMap/${mapId}`, { method: 'DELETE', headers });
      assert.ok([401, 403].includes(del.status), `${scope} delete: ${del.status}`);
      const created = await server.fhir('ConceptMap', { method: 'POST', body: { ...edit, id: undefined }, headers });
      assert.ok([401, 403].includes(created.status), `${scope} create: ${created.status}`);
    }
    const after = (await server.fhir(`ConceptMap/${mapId}`)).body as ConceptMap;
    assert.equal(after.meta!.versionId, before.meta!.versionId);
    assert.equal(await genderBecomes(code), code);
  });

  it('refuses malformed code-table maps with an OperationOutcome and keeps the one in force', async () => {
    const good = (await server.fhir(`ConceptMap/${mapId}`)).body as ConceptMap;
    const code = good.group![0]!.element[0]!.target![0]!.code!;
    const bad = (change: (m: ConceptMap) => void) => {
      const m = structuredClone(good);
      delete m.meta;
      change(m);
      return m;
    };
    const cases: [string, unknown][] = [
      ['scope message type', bad((m) => (m.extension![0]!.extension![0]!.valueString = 'adt; drop'))],
      ['unknown scope part', bad((m) => m.extension![0]!.extension!.push({ url: 'ward', valueString: 'W1' }))],
      ['priority not integer', bad((m) => (m.extension![0]!.extension![2] = { url: 'priority', valueString: '1' }))],
      ['element without code', bad((m) => delete m.group![0]!.element[0]!.code)],
      ['no table name', bad((m) => (m.identifier = { system: CODE_TABLE_SYSTEM }))],
      ['scope without the identifier', bad((m) => delete m.identifier)],
      ['group not an array', bad((m) => ((m as unknown as Record<string, unknown>).group = { element: [] }))],
      [
        'unknown equivalence',
        bad((m) => ((m.group![0]!.element[0]!.target![0] as { equivalence: string }).equivalence = 'same')),
      ],
    ];
    for (const [name, body] of cases) {
      const put = await server.fhir(`ConceptMap/${mapId}`, { method: 'PUT', body });
      assert.ok([400, 422].includes(put.status), `${name}: ${put.status} ${put.text}`);
      assert.equal(put.body.resourceType, 'OperationOutcome', name);
    }
    const raw = await server.fhir(`ConceptMap/${mapId}`, { method: 'PUT', rawBody: '{"resourceType":"ConceptMap",' });
    assert.equal(raw.status, 400);
    assert.equal(raw.body.resourceType, 'OperationOutcome');
    assert.equal(((await server.fhir(`ConceptMap/${mapId}`)).body as ConceptMap).meta!.versionId, good.meta!.versionId);
    assert.equal(await genderBecomes(code), code);
  });

  it("a ConceptMap edit over REST changes a projection's code mapping (Claim diagnosis SNOMED → ICD-10), no restart", async () => {
    assert.equal(
      (await server.fhir('Patient/claimant', { method: 'PUT', body: { resourceType: 'Patient', id: 'claimant' } }))
        .status,
      201,
    );
    const claim: Claim = {
      resourceType: 'Claim',
      id: 'pneumonia',
      status: 'active',
      use: 'claim',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'institutional' }] },
      patient: { reference: 'Patient/claimant' },
      created: '2026-03-01T10:00:00Z',
      provider: { display: 'Khartoum Teaching Hospital' },
      priority: { coding: [{ code: 'normal' }] },
      insurance: [{ sequence: 1, focal: true, coverage: { display: 'NHIF' } }],
      diagnosis: [{ sequence: 1, diagnosisCodeableConcept: { coding: [{ system: SNOMED, code: '233604007' }] } }],
      item: [{ sequence: 1, productOrService: { text: 'ward day' }, net: { value: 40, currency: 'SDG' } }],
    };
    assert.equal((await server.fhir('Claim/pneumonia', { method: 'PUT', body: claim })).status, 201);
    const diagnoses = async () => {
      const [prepared] = await prepareChanges(store, billingProjection, [
        { resourceType: 'Claim', id: 'pneumonia', versionId: 1, deleted: false, seq: 0 },
      ]);
      assert.ok(prepared && 'writes' in prepared, JSON.stringify(prepared));
      const lines = prepared.writes.find((w) => w.op === 'replaceChildren') as unknown as {
        rows: { diagnosis_codes: string }[];
      };
      return lines.rows[0]!.diagnosis_codes;
    };
    assert.equal(await diagnoses(), `["${SNOMED}|233604007"]`, 'no map: the SNOMED code kept with its system');
    assert.equal(
      (await server.fhir('ConceptMap/snomed-icd10-claims', { method: 'PUT', body: pneumoniaMap('J18.9') })).status,
      201,
    );
    assert.equal(await diagnoses(), '["J18.9"]');
    assert.equal(
      (await server.fhir('ConceptMap/snomed-icd10-claims', { method: 'PUT', body: pneumoniaMap('J15.9') })).status,
      200,
    );
    assert.equal(await diagnoses(), '["J15.9"]', 'the edit applies to the next batch');
    const hostile = await server.fhir('ConceptMap/snomed-icd10-claims', {
      method: 'PUT',
      body: pneumoniaMap('A00.0'),
      headers: { authorization: 'Bearer system/ConceptMap.read' },
    });
    assert.equal(hostile.status, 403);
    assert.equal(await diagnoses(), '["J15.9"]');
  });
});
