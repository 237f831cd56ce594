/**
 * What goes in comes out, over real HTTP on every store (run from rest-api.*.int.test.ts), issue #14 items 3-5:
 * decimals keep their text in every response; JSON that JSON or FHIR forbids answers 400 naming where, with
 * nothing stored; FHIR strings with no-break and other Unicode spaces are accepted and found by `name=`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import type { StoreFactory } from '../../store/testing/store-contract.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';

const OBSERVATION = (family: string) =>
  `{"resourceType":"Observation","status":"final","code":{"text":"${family}"},"subject":{"reference":"Patient/PID"},` +
  `"valueQuantity":{"value":1.50,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"},` +
  `"referenceRange":[{"low":{"value":0.40},"high":{"value":12500.00}}],` +
  `"component":[{"code":{"text":"c"},"valueQuantity":{"value":6.0}},{"code":{"text":"d"},"valueQuantity":{"value":3.14159265358979323846264338327}},` +
  `{"code":{"text":"e"},"valueQuantity":{"value":1E-22}}],"extension":[{"url":"http://example.org/x","valueDecimal":0.001530}]}`;

const WRITTEN = [
  '"value":1.50',
  '"value":0.40',
  '"value":12500.00',
  '"value":6.0',
  '3.14159265358979323846264338327',
  '"value":1E-22',
  '"valueDecimal":0.001530',
];

function assertWritten(text: string, where: string): void {
  for (const token of WRITTEN) assert.ok(text.includes(token), `${where}: ${token} not in ${text.slice(0, 300)}`);
}

export function describeJsonFidelity(label: string, factory: StoreFactory): void {
  describe(`JSON in = JSON out over HTTP: ${label}`, () => {
    let server: TestServer;
    let dispose: () => Promise<void>;
    let patientId: string;
    before(async () => {
      const opened = await factory();
      dispose = opened.dispose;
      server = await startTestServer(opened.store);
      const p = await server.fhir('/Patient', {
        method: 'POST',
        rawBody:
          '{"resourceType":"Patient","name":[{"family":"Decimal"}],"extension":[{"url":"http://example.org/w","valueDecimal":70.0}]}',
      });
      patientId = p.body.id;
    });
    after(async () => {
      await server?.close();
      await server?.app.store.close();
      await dispose?.();
    });

    const post = (family: string, extra: Record<string, string> = {}) =>
      server.fhir('/Observation', {
        method: 'POST',
        rawBody: OBSERVATION(family).replace('PID', patientId),
        headers: { prefer: 'return=representation', ...extra },
      });

    it('decimals come back as written from create, read, vread, history, search, _include, $everything', async () => {
      const created = await post('fidelity');
      assert.equal(created.status, 201, created.text);
      assertWritten(created.text, 'create');
      const id = created.body.id;
      assertWritten((await server.fhir(`/Observation/${id}`)).text, 'read');
      assertWritten((await server.fhir(`/Observation/${id}/_history/1`)).text, 'vread');
      assertWritten((await server.fhir(`/Observation/${id}/_history`)).text, 'history');
      const search = await server.fhir(`/Observation?_id=${id}&_include=Observation:subject`);
      assertWritten(search.text, 'search');
      assert.ok(search.text.includes('"valueDecimal":70.0'), 'included Patient');
      assertWritten(
        (await server.fhir(`/Observation?_id=${id}&_elements=valueQuantity,component,referenceRange,extension`)).text,
        '_elements',
      );
      const everything = await server.fhir(`/Patient/${patientId}/$everything`);
      assert.equal(everything.status, 200);
      assertWritten(everything.text, '$everything');
      assert.ok(everything.text.includes('"valueDecimal":70.0'));
    });

    it('numbers written with trailing zeros are found by number and quantity search', async () => {
      const created = await server.fhir('/RiskAssessment', {
        method: 'POST',
        rawBody:
          '{"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/' +
          patientId +
          '"},"prediction":[{"probabilityDecimal":0.40}]}',
      });
      assert.equal(created.status, 201, created.text);
      assert.ok(created.text.includes('"probabilityDecimal":0.40'));
      const found = await server.fhir(`/RiskAssessment?probability=0.40&_id=${created.body.id}`);
      assert.equal(found.body.entry?.length, 1);
      assert.ok(found.text.includes('"probabilityDecimal":0.40'));
      const obs = (await post('search-by-value')).body;
      for (const q of ['value-quantity=1.50', 'value-quantity=1.5', 'component-value-quantity=6.0']) {
        const res = await server.fhir(`/Observation?_id=${obs.id}&${q}`);
        assert.equal(res.body.entry?.length, 1, q);
      }
    });

    it('update, JSON Patch and FHIRPath Patch keep the texts of what they leave alone and write the new ones as given', async () => {
      const created = (await post('patched')).body;
      const url = `/Observation/${created.id}`;
      const put = await server.fhir(url, {
        method: 'PUT',
        rawBody: OBSERVATION('patched')
          .replace('PID', patientId)
          .replace('{"resourceType":"Observation"', `{"resourceType":"Observation","id":"${created.id}"`),
      });
      assert.equal(put.status, 200);
      assertWritten((await server.fhir(url)).text, 'update');
      const jsonPatch = await server.fhir(url, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json-patch+json' },
        rawBody: '[{"op":"replace","path":"/valueQuantity/value","value":2.50}]',
      });
      assert.equal(jsonPatch.status, 200, jsonPatch.text);
      const afterJson = (await server.fhir(url)).text;
      assert.ok(afterJson.includes('"value":2.50'), afterJson);
      assert.ok(afterJson.includes('"value":6.0') && afterJson.includes('"valueDecimal":0.001530'));
      const fhirPathPatch = await server.fhir(url, {
        method: 'PATCH',
        rawBody:
          '{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Observation.extension[0].value"},{"name":"value","valueDecimal":0.0020}]}]}',
      });
      assert.equal(fhirPathPatch.status, 200, fhirPathPatch.text);
      const afterPath = (await server.fhir(url)).text;
      assert.ok(afterPath.includes('"valueDecimal":0.0020') && afterPath.includes('"value":2.50'), afterPath);
    });

    it('transaction and batch responses, and $export ndjson, keep the texts', async () => {
      const entry = (n: string) =>
        `{"fullUrl":"urn:uuid:${n}","resource":${OBSERVATION('bundle').replace('Patient/PID', `Patient/${patientId}`)},"request":{"method":"POST","url":"Observation"}}`;
      for (const type of ['transaction', 'batch']) {
        const res = await server.fhir('/', {
          method: 'POST',
          headers: { prefer: 'return=representation' },
          rawBody: `{"resourceType":"Bundle","type":"${type}","entry":[${entry('0d6a9b9e-6a8f-4e3c-9a52-0c1c5e1f7a11')}]}`,
        });
        assert.equal(res.status, 200, res.text);
        assertWritten(res.text, type);
      }
      const kick = await server.fhir('/$export?_type=Observation', { headers: { prefer: 'respond-async' } });
      assert.equal(kick.status, 202, kick.text);
      const status = kick.headers.get('content-location')!;
      let manifest: { output?: Array<{ url: string }> } | undefined;
      for (let i = 0; i < 200 && !manifest; i++) {
        const poll = await fetch(status);
        if (poll.status === 200) manifest = (await poll.json()) as typeof manifest;
        else await new Promise((r) => setTimeout(r, 50));
      }
      const file = await (await fetch(manifest!.output![0]!.url)).text();
      assertWritten(file, '$export');
    });

    const refused = async (rawBody: string | Buffer, where: RegExp, headers: Record<string, string> = {}) => {
      const before = (await server.fhir('/Patient?_summary=count')).body.total;
      const res = await fetch(`${server.baseUrl}/Patient`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json', ...headers },
        body: typeof rawBody === 'string' ? rawBody : new Uint8Array(rawBody),
      });
      const body = (await res.json()) as {
        resourceType: string;
        issue: Array<{ expression?: string[]; diagnostics: string }>;
      };
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(body.resourceType, 'OperationOutcome');
      assert.match(body.issue[0]!.expression?.[0] ?? '', where, body.issue[0]!.diagnostics);
      assert.equal((await server.fhir('/Patient?_summary=count')).body.total, before, 'nothing stored');
    };

    it('refuses duplicate keys, lone surrogates, __proto__ and invalid UTF-8 with 400 naming where; nothing is stored', async () => {
      await refused('{"resourceType":"Patient","resourceType":"Patient"}', /^Patient\.resourceType$/);
      await refused('{"resourceType":"Patient","name":[{"family":"A","family":"B"}]}', /^Patient\.name\[0\]\.family$/);
      await refused('{"resourceType":"Patient","name":[{"family":"A\\ud800B"}]}', /^Patient\.name\[0\]\.family$/);
      await refused('{"resourceType":"Patient","__proto__":{"active":true}}', /^Patient\.__proto__$/);
      await refused(
        '{"resourceType":"Patient","extension":[{"url":"x","valueString":"a","\\u005f_proto__":1}]}',
        /^Patient\.extension\[0\]\.__proto__$/,
      );
      const bad = Buffer.concat([
        Buffer.from('{"resourceType":"Patient","name":[{"family":"Os'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('man"}]}'),
      ]);
      await refused(bad, /^Patient\.name\[0\]\.family$/);
      // the body-parser path (gzip) reads the same way
      await refused(
        gzipSync(Buffer.from('{"resourceType":"Patient","gender":"male","gender":"female"}')),
        /^Patient\.gender$/,
        { 'content-encoding': 'gzip' },
      );
      await refused(gzipSync(bad), /^Patient\.name\[0\]\.family$/, { 'content-encoding': 'gzip' });
    });

    it('a JSON Patch body with a duplicate key answers 400 and changes nothing', async () => {
      const created = (
        await server.fhir('/Patient', { method: 'POST', body: { resourceType: 'Patient', gender: 'male' } })
      ).body;
      const res = await server.fhir(`/Patient/${created.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json-patch+json' },
        rawBody: '[{"op":"replace","path":"/gender","value":"female","value":"other"}]',
      });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.issue[0].expression[0], '$[0].value');
      assert.equal((await server.fhir(`/Patient/${created.id}`)).body.meta.versionId, '1');
    });

    it('accepts a UTF-8 BOM, and other charsets through the fallback reader', async () => {
      const bom = await fetch(`${server.baseUrl}/Patient`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: Buffer.concat([
          Buffer.from([0xef, 0xbb, 0xbf]),
          Buffer.from('{"resourceType":"Patient","gender":"female"}'),
        ]),
      });
      assert.equal(bom.status, 201);
      const latin1 = await fetch(`${server.baseUrl}/Patient`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json; charset=ISO-8859-1' },
        body: Buffer.from('{"resourceType":"Patient","name":[{"family":"Jos\u00e9"}]}', 'latin1'),
      });
      assert.equal(latin1.status, 201);
      assert.equal(((await latin1.json()) as { name: Array<{ family: string }> }).name[0]!.family, 'José');
    });

    it('a batch answers per entry and never a whole-response 500 after earlier entries committed', async () => {
      const res = await server.fhir('/', {
        method: 'POST',
        rawBody:
          '{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Patient","gender":"male"},"request":{"method":"POST","url":"Patient"}},{"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"' +
          Buffer.from('[{"op":"add","path":"/active","value":true,"value":false}]').toString('base64') +
          '"},"request":{"method":"PATCH","url":"Patient/whatever"}}]}',
      });
      assert.equal(res.status, 200, res.text);
      assert.match(res.body.entry[0].response.status, /^201/);
      assert.match(res.body.entry[1].response.status, /^400/);
    });

    it('strings with no-break and other Unicode spaces are valid FHIR strings and found by name=', async () => {
      const names = ['محمد\u00a0أحمد', 'Al\u202fAmin', 'Ab\u3000Cd', 'Ef\u2002Gh', 'Ij\u2028Kl', 'Mn\ufeffOp'];
      for (const family of names) {
        const res = await server.fhir('/Patient', {
          method: 'POST',
          body: { resourceType: 'Patient', name: [{ family, given: ['\u00a0x'] }] },
        });
        assert.equal(res.status, 201, `${JSON.stringify(family)}: ${res.text}`);
        assert.equal(res.body.name[0].family, family, 'stored as written');
      }
      const arabic = await server.fhir(`/Patient?name=${encodeURIComponent('محمد أحمد')}`);
      assert.equal(arabic.body.entry?.length, 1, 'NBSP searched as a space');
      const exact = await server.fhir(`/Patient?family:exact=${encodeURIComponent('محمد\u00a0أحمد')}`);
      assert.equal(exact.body.entry?.length, 1, ':exact as written');
      const narrow = await server.fhir(`/Patient?name=${encodeURIComponent('al amin')}`);
      assert.equal(narrow.body.entry?.length, 1);
      const blank = await server.fhir('/Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', name: [{ family: ' \t' }] },
      });
      assert.equal(blank.status, 422, 'a string of XML white space only has no content');
      const control = await server.fhir('/Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', name: [{ family: 'a\u0001b' }] },
      });
      assert.equal(control.status, 422, 'control characters other than tab, CR, LF are refused');
    });
  });
}
