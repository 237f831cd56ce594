/**
 * HL7 v2 code tables as ConceptMaps, end to end on the embedded server: a ConceptMap written over REST with the
 * code-table identifier changes how the next inbound messages are mapped (no restart), an edit of it changes them
 * again, `$translate` and the projections' translator answer from the same resource, and deleting it brings the
 * shipped table back. A ConceptMap without the identifier leaves HL7 alone.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { ConceptMap } from '@medplum/fhirtypes';
import { loadConfig } from '../../config.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { openPgliteTestStore } from '../../store/postgres/testing/pglite-template.js';
import type { ResourceStore } from '../../store/resource-store.js';
import { startHl7, type Hl7Runtime } from '../../hl7-wiring.js';
import { sendOnce } from '../../../adapters/hl7v2/mllp/mllp-client.js';
import { loadCodeTranslator } from '../../../adapters/outbox/terminology.js';
import { CODE_TABLE_SYSTEM, overridesFrom } from './code-table-maps.js';

const V2_SEX = 'http://terminology.hl7.org/CodeSystem/v2-0001';
const GENDER = 'http://hl7.org/fhir/administrative-gender';

const adt = (controlId: string, mrn: string) =>
  `MSH|^~\\&|REG|KTH|NILE|NC|20260301120000||ADT^A04^ADT_A01|${controlId}|P|2.5.1\rEVN|A04|20260301120000\r` +
  `PID|1||${mrn}^^^KTH^MR||Mapped^Hawa||19800101|F\rPV1|1|O`;

const sexMap = (female: string, extra: Partial<ConceptMap> = {}): ConceptMap => ({
  resourceType: 'ConceptMap',
  id: 'v2-administrative-sex',
  url: 'https://nilecare.sd/fhir/ConceptMap/v2-administrative-sex',
  identifier: { system: CODE_TABLE_SYSTEM, value: 'AdministrativeSex' },
  status: 'active',
  group: [
    {
      source: V2_SEX,
      target: GENDER,
      element: [{ code: 'F', target: [{ code: female, equivalence: 'equivalent' }] }],
    },
  ],
  ...extra,
});

describe('HL7 v2 code tables as ConceptMaps', () => {
  let store: ResourceStore;
  let server: TestServer;
  let hl7: Hl7Runtime | undefined;
  let sent = 0;
  const env = { MLLP_PORT: '0', NILECARE_AUTH: 'disabled', LOG_LEVEL: 'silent', INTEROP_MYSQL_URL: '' };

  /** The gender the next messages get, once the code-table check (every second) has seen the change. */
  const genderBecomes = async (expected: string): Promise<unknown> => {
    let gender: unknown;
    for (let i = 0; i < 40 && gender !== expected; i++) {
      const n = ++sent;
      const ack = await sendOnce(
        { host: '127.0.0.1', port: hl7!.server.port, timeoutMs: 30_000 },
        adt(`CM-${n}`, `CM-${n}`),
      );
      assert.match(ack, /MSA\|AA/);
      gender = (await server.fhir(`Patient?identifier=CM-${n}`)).body.entry?.[0]?.resource?.gender;
      if (gender !== expected) await new Promise((r) => setTimeout(r, 250));
    }
    return gender;
  };

  before(async () => {
    store = await openPgliteTestStore();
    server = await startTestServer(store, { env });
    hl7 = await startHl7(loadConfig(env), server.app, pino({ level: 'silent' }), {});
    assert.ok(hl7);
  });
  after(async () => {
    await hl7?.close();
    await server?.close();
    await store?.close();
  });

  it('maps with the shipped table while no ConceptMap names it; an unrelated ConceptMap changes nothing', async () => {
    const other = sexMap('unknown', { id: 'not-a-code-table', url: 'https://example.org/cm', identifier: undefined });
    delete other.identifier;
    assert.equal((await server.fhir('ConceptMap/not-a-code-table', { method: 'PUT', body: other })).status, 201);
    assert.equal(await genderBecomes('female'), 'female');
  });

  it('a ConceptMap written over REST changes the next messages, without a restart', async () => {
    const put = await server.fhir('ConceptMap/v2-administrative-sex', { method: 'PUT', body: sexMap('other') });
    assert.equal(put.status, 201, put.text);
    assert.equal(await genderBecomes('other'), 'other');
  });

  it('an edit of it applies too, and $translate and the projections answer from the same resource', async () => {
    const put = await server.fhir('ConceptMap/v2-administrative-sex', { method: 'PUT', body: sexMap('unknown') });
    assert.equal(put.status, 200, put.text);
    assert.equal(await genderBecomes('unknown'), 'unknown');

    const translated = await server.fhir(
      `ConceptMap/$translate?url=${encodeURIComponent(sexMap('x').url!)}&system=${encodeURIComponent(V2_SEX)}&code=F&targetsystem=${encodeURIComponent(GENDER)}`,
    );
    assert.equal(translated.status, 200, translated.text);
    const match = translated.body.parameter.find((p: { name: string }) => p.name === 'match');
    assert.equal(match.part.find((p: { name: string }) => p.name === 'concept').valueCoding.code, 'unknown');

    const translate = await loadCodeTranslator(store);
    assert.deepEqual(translate(V2_SEX, 'F', /administrative-gender/), { system: GENDER, code: 'unknown' });
  });

  it('a retired or deleted map gives the shipped table back', async () => {
    const retired = await server.fhir('ConceptMap/v2-administrative-sex', {
      method: 'PUT',
      body: sexMap('other', { status: 'retired' }),
    });
    assert.equal(retired.status, 200, retired.text);
    assert.equal(await genderBecomes('female'), 'female');
    await server.fhir('ConceptMap/v2-administrative-sex', { method: 'PUT', body: sexMap('other') });
    assert.equal(await genderBecomes('other'), 'other');
    assert.equal((await server.fhir('ConceptMap/v2-administrative-sex', { method: 'DELETE' })).status, 204);
    assert.equal(await genderBecomes('female'), 'female');
  });
});

describe('overridesFrom', () => {
  it('takes the best usable target of each code, skips unmatched ones, and lets the newest map win', () => {
    const older = sexMap('other', { meta: { lastUpdated: '2026-01-01T00:00:00Z' } });
    const newer = sexMap('unknown', { id: 'b', meta: { lastUpdated: '2026-02-01T00:00:00Z' } });
    newer.group![0]!.element.push({
      code: 'M',
      target: [
        { code: 'female', equivalence: 'disjoint' },
        { code: 'other', equivalence: 'inexact' },
        { code: 'male', equivalence: 'equal' },
      ],
    });
    newer.group![0]!.element.push({ code: 'X', target: [{ code: 'x', equivalence: 'unmatched' }] });
    assert.deepEqual(
      overridesFrom([newer, older]).map((o) => `${o.table}:${o.source}->${o.target.system}|${o.target.code}`),
      [
        `AdministrativeSex:F->${GENDER}|other`,
        `AdministrativeSex:F->${GENDER}|unknown`,
        `AdministrativeSex:M->${GENDER}|male`,
      ],
    );
  });
});
