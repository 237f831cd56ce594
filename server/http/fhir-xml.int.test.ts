/**
 * FHIR XML over HTTP (issue 25): bodies in application/fhir+xml are read into the JSON the store keeps; answers in
 * XML when Accept or _format asks; errors are OperationOutcomes in the format asked; XML does not get round access.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { policyFromScopes } from '../auth/scope-policy.js';
import { FULL_ACCESS } from '../fhir/access-policy.js';
import { parseFhirXml } from '../fhir/xml/parse-fhir-xml.js';
import { writeFhirXml } from '../fhir/xml/write-fhir-xml.js';
import { canonicalJson } from '../fhir/xml/testing/json-compare.js';
import { parseJson } from '../json/parse-json.js';
import { pgliteTestStore } from '../store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

const XML = 'application/fhir+xml';
const NS = 'xmlns="http://hl7.org/fhir"';

type Json = Record<string, any>;

describe('FHIR XML over HTTP', () => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  before(async () => {
    const opened = await pgliteTestStore();
    dispose = opened.dispose;
    server = await startTestServer(opened.store, {
      resolveAccess: async (req) =>
        req.get('x-test-patient')
          ? policyFromScopes({ scope: 'patient/*.rs', patient: String(req.get('x-test-patient')), clientId: 'app' })
          : FULL_ACCESS,
    });
  });
  after(async () => {
    await server?.close();
    await server?.app.store.close();
    await dispose?.();
  });

  /** A request whose answer is read as FHIR XML (asserting the content type). */
  async function xml(path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
    const res = await fetch(`${server.baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { accept: XML, ...(init.body !== undefined ? { 'content-type': XML } : {}), ...init.headers },
      body: init.body,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: text ? parseFhirXml(text) : undefined };
  }

  const observation = (patientId: string) =>
    `<Observation ${NS}><status value="final"/><code><text value="weight"/></code>` +
    `<subject><reference value="Patient/${patientId}"/></subject>` +
    `<valueQuantity><value value="71.50"/><unit value="kg"/></valueQuantity></Observation>`;

  it('creates from XML, reads back the same in JSON and in XML (decimals, Arabic, _given, narrative)', async () => {
    const div = `<div xmlns="http://www.w3.org/1999/xhtml"><p>محمد&#160;&amp; <b>X</b></p></div>`;
    const sent =
      `<?xml version="1.0" encoding="UTF-8"?><Patient ${NS}><text><status value="generated"/>${div}</text>` +
      `<name><family value="عبد\u00a0الله"/><given value="محمد"><extension url="http://e/x"><valueString value="masked"/></extension></given><given id="g2" value="أحمد"/></name>` +
      `<gender value="male"/><birthDate value="1990-04-02"/></Patient>`;
    const created = await server.fhir('/Patient', { method: 'POST', rawBody: sent, headers: { 'content-type': XML } });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id as string;
    const json = await server.fhir(`/Patient/${id}`);
    assert.equal(json.status, 200);
    assert.equal(json.body.text.div, div);
    assert.deepEqual(json.body.name, [
      {
        family: 'عبد\u00a0الله',
        given: ['محمد', 'أحمد'],
        _given: [{ extension: [{ url: 'http://e/x', valueString: 'masked' }] }, { id: 'g2' }],
      },
    ]);
    const read = await xml(`/Patient/${id}`);
    assert.equal(read.status, 200);
    assert.match(read.headers.get('content-type') ?? '', /^application\/fhir\+xml/);
    assert.equal(canonicalJson(read.body), canonicalJson(parseJson(json.text)));
    assert.ok(read.text.includes(div));
    assert.ok(read.headers.get('etag'));

    const obs = await xml('/Observation', { method: 'POST', body: observation(id) });
    assert.equal(obs.status, 201, obs.text);
    assert.match(obs.text, /<value value="71\.50"\/>/);
    const obsJson = await server.fhir(`/Observation/${obs.body!['id']}`);
    assert.match(obsJson.text, /"value":71\.50/);
  });

  it('answers in XML for _format=xml, _format=application/fhir+xml, Accept application/xml and text/xml', async () => {
    const p = await server.fhir('/Patient', { method: 'POST', body: { resourceType: 'Patient', gender: 'female' } });
    const id = p.body.id as string;
    for (const [path, accept, type] of [
      [`/Patient/${id}?_format=xml`, 'application/fhir+json', /^application\/fhir\+xml/],
      [`/Patient/${id}?_format=application/fhir%2Bxml`, '*/*', /^application\/fhir\+xml/],
      [`/Patient/${id}?_format=application/fhir+xml`, '*/*', /^application\/fhir\+xml/],
      [`/Patient/${id}`, 'application/xml', /^application\/xml/],
      [`/Patient/${id}`, 'text/xml', /^text\/xml/],
      [`/Patient/${id}`, 'application/fhir+json;q=0.5, application/fhir+xml', /^application\/fhir\+xml/],
    ] as const) {
      const r = await xml(path, { headers: { accept } });
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get('content-type') ?? '', type, `${path} ${accept}`);
      assert.equal(r.body!['id'], id);
    }
    const json = await server.fhir(`/Patient/${id}`, {
      headers: { accept: 'application/fhir+xml;q=0.1, application/fhir+json' },
    });
    assert.match(json.headers.get('content-type') ?? '', /json/);
  });

  it('vread, history, search bundles and the CapabilityStatement in XML', async () => {
    const p = await xml('/Patient', { method: 'POST', body: `<Patient ${NS}><gender value="other"/></Patient>` });
    const id = p.body!['id'] as string;
    const v = await xml(`/Patient/${id}/_history/1`);
    assert.equal(v.status, 200);
    assert.equal(v.body!['gender'], 'other');
    const history = await xml(`/Patient/${id}/_history`);
    assert.equal(history.body!['resourceType'], 'Bundle');
    assert.equal(history.body!['type'], 'history');
    await xml('/Observation', { method: 'POST', body: observation(id) });
    const search = await xml(`/Observation?subject=Patient/${id}&_include=Observation:subject`);
    assert.equal(search.status, 200);
    assert.equal(search.body!['type'], 'searchset');
    const resources = (search.body!['entry'] as Json[]).map((e) => e['resource']['resourceType']).sort();
    assert.deepEqual(resources, ['Observation', 'Patient']);
    assert.match(search.text, /<entry><fullUrl value="[^"]+"\/><resource><Observation>/);
    const meta = await xml('/metadata');
    assert.deepEqual(meta.body!['format'], ['application/fhir+json', 'json', 'application/fhir+xml', 'xml']);
  });

  it('update and conditional update with XML bodies', async () => {
    const put = await xml('/Patient/xml-upd', {
      method: 'PUT',
      body: `<Patient ${NS}><id value="xml-upd"/><identifier><system value="urn:x"/><value value="42"/></identifier><active value="true"/></Patient>`,
    });
    assert.equal(put.status, 201, put.text);
    const cond = await xml('/Patient?identifier=urn:x|42', {
      method: 'PUT',
      body: `<Patient ${NS}><identifier><system value="urn:x"/><value value="42"/></identifier><active value="false"/></Patient>`,
    });
    assert.equal(cond.status, 200, cond.text);
    assert.equal(cond.body!['id'], 'xml-upd');
    assert.equal((await server.fhir('/Patient/xml-upd')).body.active, false);
  });

  it('transaction in XML: entries created, references resolved, response Bundle in XML', async () => {
    const bundle = writeFhirXml({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:5e1f8c1a-0000-4000-8000-000000000001',
          resource: { resourceType: 'Patient', name: [{ family: 'Tx' }] },
          request: { method: 'POST', url: 'Patient' },
        },
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'x' },
            subject: { reference: 'urn:uuid:5e1f8c1a-0000-4000-8000-000000000001' },
            valueQuantity: { value: 1.5 },
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    });
    const res = await xml('/', { method: 'POST', body: bundle });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body!['type'], 'transaction-response');
    const locations = (res.body!['entry'] as Json[]).map((e) => e['response']['location'] as string);
    assert.match(locations[0]!, /^Patient\//);
    const obs = await server.fhir(`/${locations[1]!.split('/_history')[0]}`);
    assert.equal(obs.body.subject.reference, locations[0]!.split('/_history')[0]);
    assert.match(obs.text, /"value":1\.5/);
  });

  it('$validate with an XML body answers an OperationOutcome in XML', async () => {
    const bad = await xml('/Patient/$validate', {
      method: 'POST',
      body: `<Patient ${NS}><birthDate value="1990-13-45"/></Patient>`,
    });
    assert.equal(bad.body!['resourceType'], 'OperationOutcome');
    assert.ok(
      (bad.body!['issue'] as Json[]).some(
        (i) => i['severity'] === 'error' && String(i['expression']).includes('birthDate'),
      ),
      bad.text,
    );
    const params = await xml('/Patient/$validate', {
      method: 'POST',
      body: `<Parameters ${NS}><parameter><name value="resource"/><resource><Patient><gender value="male"/></Patient></resource></parameter></Parameters>`,
    });
    assert.equal(params.status, 200, params.text);
    assert.equal(params.body!['resourceType'], 'OperationOutcome');
  });

  it('malformed and hostile XML is a 400 OperationOutcome (in XML or JSON as asked); nothing is stored', async () => {
    const before = (await server.fhir('/Patient?_summary=count')).body.total as number;
    const cases = [
      `<Patient ${NS}><active value="true"></Patient>`,
      `<Patient ${NS}><colour value="red"/></Patient>`,
      `<!DOCTYPE Patient [<!ENTITY x SYSTEM "file:///etc/passwd">]><Patient ${NS}><gender value="&x;"/></Patient>`,
      `<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><Patient ${NS}><gender value="&b;"/></Patient>`,
      `{"resourceType":"Patient"}`,
    ];
    for (const body of cases) {
      const inXml = await xml('/Patient', { method: 'POST', body });
      assert.equal(inXml.status, 400, body);
      assert.equal(inXml.body!['resourceType'], 'OperationOutcome');
      const inJson = await server.fhir('/Patient', { method: 'POST', rawBody: body, headers: { 'content-type': XML } });
      assert.equal(inJson.status, 400);
      assert.equal(inJson.body.resourceType, 'OperationOutcome');
    }
    const latin1 = await fetch(`${server.baseUrl}/Patient`, {
      method: 'POST',
      headers: { 'content-type': `${XML}; charset=utf-8`, accept: XML },
      body: Buffer.from([0x3c, 0x50, 0xff, 0x3e]),
    });
    assert.equal(latin1.status, 400);
    assert.equal((await server.fhir('/Patient?_summary=count')).body.total, before);
    const unsupported = await xml('/Patient', { method: 'POST', body: 'x', headers: { 'content-type': 'text/csv' } });
    assert.equal(unsupported.status, 415);
    assert.equal(unsupported.body!['resourceType'], 'OperationOutcome');
    // XML Patch is refused with a 415 that names what PATCH takes, and the resource is left as it was
    const target = await server.fhir('/Patient', { method: 'POST', body: { resourceType: 'Patient', gender: 'male' } });
    const xmlPatch = await server.fhir(`/Patient/${target.body.id}`, {
      method: 'PATCH',
      rawBody: '<diff><replace sel="Patient/gender/@value">female</replace></diff>',
      headers: { 'content-type': 'application/xml-patch+xml' },
    });
    assert.equal(xmlPatch.status, 415);
    assert.equal(xmlPatch.body.resourceType, 'OperationOutcome');
    assert.match(xmlPatch.body.issue[0].diagnostics, /XML Patch .* JSON Patch/);
    const after = await server.fhir(`/Patient/${target.body.id}`);
    assert.equal(after.body.gender, 'male');
    assert.equal(after.body.meta.versionId, '1');
    const turtle = await server.fhir('/Patient?_format=text/turtle');
    assert.equal(turtle.status, 406);
    assert.equal(turtle.body.resourceType, 'OperationOutcome');
  });

  it('a patient-scoped token still reads only its own patient in XML', async () => {
    const mine = (await server.fhir('/Patient', { method: 'POST', body: { resourceType: 'Patient', gender: 'male' } }))
      .body.id;
    const other = (
      await server.fhir('/Patient', { method: 'POST', body: { resourceType: 'Patient', gender: 'female' } })
    ).body.id;
    const as = { 'x-test-patient': mine as string };
    assert.equal((await xml(`/Patient/${mine}`, { headers: as })).status, 200);
    const denied = await xml(`/Patient/${other}?_format=xml`, { headers: as });
    assert.ok(denied.status === 403 || denied.status === 404, String(denied.status));
    assert.equal(denied.body!['resourceType'], 'OperationOutcome');
    const search = await xml('/Patient', { headers: as });
    const ids = ((search.body!['entry'] as Json[] | undefined) ?? []).map((e) => e['resource']['id']);
    assert.deepEqual(ids, [mine]);
    const write = await xml('/Patient', { method: 'POST', body: `<Patient ${NS}/>`, headers: as });
    assert.equal(write.status, 403);
  });
});
