/**
 * HL7 v2 in, end to end over real sockets: MLLP listener → parser → mappings → the FHIR server's transaction
 * (the real application on an embedded PostgreSQL store) → ACK. Corpus: every message of a supported type,
 * every malformed file; duplicates, repeats, merge, batches and the replay queue.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pgliteTestStore } from '../../../server/store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../../../server/testing/test-server.js';
import { startMllpServer, type MllpServer } from '../mllp/mllp-server.js';
import { MllpClient } from '../mllp/mllp-client.js';
import { parseMessage } from '../parser/parse-message.js';
import { splitBatch } from '../parser/batch.js';
import { loadMappings } from '../mapping/load-mappings.js';
import { CodeTables } from '../mapping/code-tables.js';
import { mapMessage, templateFor } from '../mapping/mapping-engine.js';
import { MemoryMessageLog } from '../log/testing/memory-message-log.js';
import { siteMappings } from './site-mapping-cache.js';
import { httpSubmit } from './http-submit.js';
import { inboundHandler } from './handle-frame.js';
import type { InboundDeps } from './process-message.js';
import { replayQueue } from './replay-queue.js';
import { OruBuilder } from '../outbound/oru-builder.js';
import { ACCEPTED_MALFORMED, corpusFiles, hl7CorpusMissing, REJECTED_ON_PURPOSE } from '../testing/corpus.js';

const mappings = loadMappings();
const tables = CodeTables.loadDefaults();

function supported(text: string): boolean {
  try {
    templateFor(parseMessage(text), mappings);
    return true;
  } catch {
    return false;
  }
}

describe('HL7 v2 inbound over MLLP into the FHIR server', () => {
  let fhir: TestServer;
  let dispose: () => Promise<void>;
  let mllp: MllpServer;
  let client: MllpClient;
  let log = new MemoryMessageLog();
  const deps = (): InboundDeps => ({
    submit: httpSubmit(fhir.baseUrl),
    log,
    mappings: siteMappings(log, { checkEveryMs: 0 }),
    processingIds: ['P', 'T', 'D'], // a test server: the corpus holds many training and debugging messages
  });

  before(async () => {
    const opened = await pgliteTestStore();
    dispose = opened.dispose;
    fhir = await startTestServer(opened.store);
    // The handler reads `log` at call time so that a test can start from an empty log.
    mllp = await startMllpServer((text, info, payload) => inboundHandler(deps())(text, info, payload), { port: 0 });
    client = new MllpClient({ host: '127.0.0.1', port: mllp.port, timeoutMs: 60_000 });
  });
  after(async () => {
    await client?.close();
    await mllp?.close();
    await fhir?.close();
    await fhir?.app.store.close();
    await dispose?.();
  });

  const send = async (text: string) => parseMessage(await client.send(text));

  async function exists(url: string): Promise<boolean> {
    if (url.includes('?')) {
      const res = await fhir.fhir(`/${url}&_summary=count`);
      // The orders of one placer number are one per OBR (several); any other identifier names one resource.
      return res.status === 200 && (res.body.total === 1 || (url.startsWith('ServiceRequest?') && res.body.total > 1));
    }
    return (await fhir.fhir(`/${url}`)).status === 200;
  }

  /**
   * Where an entry's resource can be found after the write: its URL, except when a change of identifier (A47: the
   * patient found by MRG-1 takes PID-3's identifiers) leaves the URL's identifier behind — then by its own first one;
   * or when an ORC without OBR updates the stored orders of its placer number (inbound/prepare/orders.ts) — then
   * by that placer number.
   */
  function writtenAt(e: { request?: { url?: string }; resource?: unknown }): string {
    const url = e.request!.url!;
    const order = e.resource as {
      resourceType: string;
      code?: unknown;
      identifier?: { system?: string; value?: string }[];
    };
    if (order.resourceType === 'ServiceRequest' && !order.code && order.identifier?.[0]?.value)
      return `ServiceRequest?identifier=${encodeURIComponent(`${order.identifier[0].system ?? ''}|${order.identifier[0].value}`)}`;
    const m = /^(\w+)\?identifier=([^&]*)$/.exec(url);
    const ids = ((e.resource as { identifier?: { system?: string; value?: string }[] }).identifier ?? []).filter(
      (i) => i.value,
    );
    if (!m || ids.some((i) => `${i.system ?? ''}|${i.value}` === decodeURIComponent(m[2]!)) || !ids[0]) return url;
    return `${m[1]}?identifier=${encodeURIComponent(`${ids[0].system ?? ''}|${ids[0].value}`)}`;
  }

  it('accepts every corpus message of a supported type with AA and writes the resources its segments call for', async (t) => {
    const missing = hl7CorpusMissing();
    if (missing) {
      t.skip(missing);
      return;
    }
    let accepted = 0;
    let resourcesChecked = 0;
    const failures: string[] = [];
    for (const file of corpusFiles('messages')) {
      for (const text of splitBatch(file.text).messages.filter(supported)) {
        log = new MemoryMessageLog(); // corpus files reuse control ids across different messages
        const ack = await send(text);
        const code = ack.get('MSA-1');
        const refused = REJECTED_ON_PURPOSE[file.name];
        if (refused) {
          const expected = refused.code === 'AE' ? ['AE', 'CE'] : ['AR', 'CR'];
          assert.ok(expected.includes(code), `${file.name}: ${code}, expected ${refused.code}: ${refused.reason}`);
          assert.ok(ack.first('ERR'), `${file.name}: ERR segment`);
          const row = [...log.messages.values()][0]!;
          assert.equal(row.status, refused.code === 'AE' ? 'failed' : 'rejected', `${file.name}: logged`);
          continue;
        }
        // Enhanced mode (MSH-15/16) is answered with the accept acknowledgement.
        if (code !== 'AA' && code !== 'CA') {
          failures.push(`${file.name}: ${code} ${ack.get('MSA-3')}`);
          continue;
        }
        accepted++;
        for (const e of mapMessage(parseMessage(text), mappings, tables).bundle.entry ?? []) {
          if (e.request?.method !== 'PUT') continue;
          resourcesChecked++;
          assert.ok(await exists(writtenAt(e)), `${file.name}: ${writtenAt(e)} not found after AA`);
        }
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(accepted >= 205, `only ${accepted} accepted`);
    console.log(
      `# corpus: ${accepted} messages accepted with AA over MLLP, ${resourcesChecked} written resources checked on the server`,
    );
  });

  it('answers every malformed file with AE/AR (or a documented profile-level AA) and keeps running', async (t) => {
    const missing = hl7CorpusMissing('malformed');
    if (missing) {
      t.skip(missing);
      return;
    }
    const counts: Record<string, number> = {};
    for (const file of corpusFiles('malformed')) {
      log = new MemoryMessageLog();
      const ack = await send(file.text);
      const code = ack.get('MSA-1');
      counts[code] = (counts[code] ?? 0) + 1;
      if (ACCEPTED_MALFORMED[file.name]) assert.equal(code, 'AA', file.name);
      else {
        assert.ok(code === 'AE' || code === 'AR', `${file.name}: ${code}`);
        assert.ok(ack.first('ERR'), `${file.name}: no ERR segment`);
      }
    }
    console.log(`# malformed: ${JSON.stringify(counts)}`);
    assert.equal(
      (await send('MSH|^~\\&|A|B|||20260101||ADT^A08|ALIVE|P|2.5\rPID|1||ALIVE1^^^X\rPV1|1|O')).get('MSA-1'),
      'AA',
    );
  });

  it('answers a duplicate control id without writing twice; a new control id updates the same Patient', async () => {
    log = new MemoryMessageLog();
    const msg =
      'MSH|^~\\&|REG|KTH|NILE|NC|20260301||ADT^A04|DUP1|P|2.5\rPID|1||DUPMRN^^^KTH^MR||Osman^Fatima||19900101|F\rPV1|1|O';
    assert.equal((await send(msg)).get('MSA-1'), 'AA');
    const again = await send(msg);
    assert.equal(again.get('MSA-1'), 'AA');
    assert.equal(again.get('MSA-2'), 'DUP1');
    const search = await fhir.fhir('/Patient?identifier=DUPMRN');
    assert.equal(search.body.entry.length, 1);
    const id = search.body.entry[0].resource.id;
    assert.equal((await fhir.fhir(`/Patient/${id}/_history`)).body.entry.length, 1, 'the duplicate wrote nothing');
    await send(msg.replace('DUP1', 'DUP2').replace('Osman^Fatima', 'Osman^Fatma'));
    const after = await fhir.fhir('/Patient?identifier=DUPMRN');
    assert.equal(after.body.entry.length, 1, 'matched by PID-3, not duplicated');
    assert.equal(after.body.entry[0].resource.name[0].given[0], 'Fatma');
    assert.equal(after.body.entry[0].resource.meta.versionId, '2');
  });

  it('merges patients on A40: the prior one is retired and linked', async () => {
    log = new MemoryMessageLog();
    await send('MSH|^~\\&|REG|KTH|||20260301||ADT^A04|MG1|P|2.5\rPID|1||OLDMRN^^^KTH||Ali^Omar\rPV1|1|O');
    await send('MSH|^~\\&|REG|KTH|||20260301||ADT^A04|MG2|P|2.5\rPID|1||NEWMRN^^^KTH||Ali^Omar\rPV1|1|O');
    const ack = await send(
      'MSH|^~\\&|REG|KTH|||20260302||ADT^A40|MG3|P|2.5\rPID|1||NEWMRN^^^KTH||Ali^Omar\rMRG|OLDMRN^^^KTH',
    );
    assert.equal(ack.get('MSA-1'), 'AA', ack.get('MSA-3'));
    const prior = (await fhir.fhir('/Patient?identifier=OLDMRN')).body.entry[0].resource;
    const survivor = (await fhir.fhir('/Patient?identifier=NEWMRN')).body.entry[0].resource;
    assert.equal(prior.active, false);
    assert.deepEqual(prior.link, [{ other: { reference: `Patient/${survivor.id}` }, type: 'replaced-by' }]);
    assert.deepEqual(survivor.link, [{ other: { reference: `Patient/${prior.id}` }, type: 'replaces' }]);
  });

  it('answers a batch (FHS/BHS) with a batch of ACKs', async () => {
    log = new MemoryMessageLog();
    const batch = [
      'FHS|^~\\&|LAB',
      'BHS|^~\\&|LAB',
      'MSH|^~\\&|LAB|KTH|||20260301||ADT^A08|B1|P|2.5',
      'PID|1||B1MRN^^^KTH',
      'PV1|1|O',
      'MSH|^~\\&|LAB|KTH|||20260301||ADT^A99|B2|P|2.5',
      'PID|1||B2MRN^^^KTH',
      'BTS|2',
      'FTS|1',
    ].join('\r');
    const reply = await client.send(batch);
    assert.match(reply, /^FHS\|/);
    const msas = reply.split('\r').filter((s) => s.startsWith('MSA'));
    assert.deepEqual(
      msas.map((s) => s.split('|').slice(1, 3).join('|')),
      ['AA|B1', 'AR|B2'],
    );
  });

  it('keeps a message that failed in the queue (AE) and replays it once the server is back', async () => {
    const queueLog = new MemoryMessageLog();
    const down: InboundDeps = {
      submit: httpSubmit('http://127.0.0.1:9/fhir'),
      log: queueLog,
      mappings: siteMappings(queueLog),
    };
    const downServer = await startMllpServer(inboundHandler(down), { port: 0 });
    const c = new MllpClient({ host: '127.0.0.1', port: downServer.port });
    const ack = parseMessage(
      await c.send('MSH|^~\\&|LAB|KTH|||20260301||ADT^A08|Q1|P|2.5\rPID|1||QMRN^^^KTH||Queue^Test\rPV1|1|O'),
    );
    await c.close();
    await downServer.close();
    assert.equal(ack.get('MSA-1'), 'AE');
    assert.equal(ack.get('ERR-3.1'), '207');
    assert.equal((await queueLog.due(10)).length, 1);
    const summary = await replayQueue({ ...down, submit: httpSubmit(fhir.baseUrl) });
    assert.deepEqual(summary, { attempted: 1, completed: 1, failed: 0 });
    assert.equal((await fhir.fhir('/Patient?identifier=QMRN')).body.entry.length, 1);
    assert.equal((await queueLog.due(10)).length, 0);
    const stored = [...queueLog.messages.values()][0]!;
    assert.equal(stored.status, 'processed');
  });

  it('round trip FHIR → ORU^R01 → MLLP → FHIR server keeps values, codes and units', async () => {
    log = new MemoryMessageLog();
    const patient = {
      resourceType: 'Patient' as const,
      identifier: [{ system: 'urn:oid:1.2.3.4', value: 'RT-1' }],
      name: [{ family: 'Round', given: ['Trip'] }],
    };
    const observations = [
      {
        resourceType: 'Observation' as const,
        status: 'final' as const,
        code: { coding: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose' }] },
        valueQuantity: { value: 6.4, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
        effectiveDateTime: '2026-03-02T07:00:00+02:00',
      },
      {
        resourceType: 'Observation' as const,
        status: 'final' as const,
        code: { coding: [{ system: 'http://loinc.org', code: '5778-6', display: 'Color of Urine' }] },
        valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '371244009', display: 'Yellow' }] },
        effectiveDateTime: '2026-03-02T07:00:00+02:00',
      },
    ];
    const text = new OruBuilder().build(
      {
        patient,
        observations,
        report: {
          resourceType: 'DiagnosticReport',
          status: 'final',
          identifier: [{ value: 'RT-PL' }, { value: 'RT-FL' }],
          code: { coding: [{ system: 'http://loinc.org', code: '24356-8' }] },
        },
      },
      { sendingApplication: 'ROUNDTRIP' },
    );
    assert.equal((await send(text)).get('MSA-1'), 'AA');
    const pat = (await fhir.fhir('/Patient?identifier=urn:oid:1.2.3.4|RT-1')).body.entry[0].resource;
    const found = (await fhir.fhir(`/Observation?subject=Patient/${pat.id}`)).body.entry.map(
      (e: { resource: { code: unknown; valueQuantity?: unknown; valueCodeableConcept?: unknown } }) => e.resource,
    );
    assert.equal(found.length, 2);
    const glucose = found.find((o: { code: { coding: { code: string }[] } }) => o.code.coding[0]!.code === '2345-7');
    const colour = found.find((o: { code: { coding: { code: string }[] } }) => o.code.coding[0]!.code === '5778-6');
    assert.deepEqual(glucose.valueQuantity, observations[0]!.valueQuantity);
    assert.deepEqual(glucose.code, observations[0]!.code);
    assert.deepEqual(colour.valueCodeableConcept, observations[1]!.valueCodeableConcept);
  });
});
