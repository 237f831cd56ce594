/**
 * The message log on every engine it is kept on (testing/interop-backends.ts: MariaDB, PostgreSQL, PGlite), each a
 * migrated nilecare_interop; the inbound pipeline on top of it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { interopBackends, type InteropFixture } from './testing/interop-backends.js';
import { processMessage, type InboundDeps } from '../inbound/process-message.js';
import { replayQueue } from '../inbound/replay-queue.js';
import { siteMappings } from '../inbound/site-mapping-cache.js';
import { FhirError, operationOutcome, issue } from '../../../server/fhir/errors.js';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import {
  endpointFromRow,
  endpointsFor,
  loadOutboundEndpoints,
  OUTBOUND_ENDPOINTS_SQL,
} from './mysql-interface-configs.js';

/** Reads (look-ups before a write) find nothing here. */
const lookup = (b: Bundle): Bundle => ({
  resourceType: 'Bundle',
  type: 'transaction-response',
  entry: (b.entry ?? []).map(() => ({
    resource: { resourceType: 'Bundle', type: 'searchset', entry: [] },
    response: { status: '200 OK' },
  })),
});

const MSG =
  'MSH|^~\\&|LAB|KTH|NILE|NC|20260301||ADT^A08|CTL-1|P|2.5.1\rPID|1||M-55^^^KTH^MR||Hassan^Amna||19750505|F\rPV1|1|O';

for (const backend of await interopBackends()) {
  describe(`message log on ${backend.name} (nilecare_interop)`, { skip: backend.skip }, () => {
    let fx: InteropFixture;
    const sql = (text: string, params?: unknown[]) => fx.sql(text, params);
    const written: Bundle[] = [];
    let failNext = false;
    // The FHIR side here only records what it is given (the FHIR server itself is covered by inbound.int.test.ts).
    const submit = async (b: Bundle): Promise<Bundle> => {
      if (failNext) {
        failNext = false;
        throw new FhirError(503, operationOutcome([issue('transient', 'store unavailable')]));
      }
      if ((b.entry ?? []).every((e) => e.request?.method === 'GET')) return lookup(b); // reads before the write
      written.push(b);
      return {
        resourceType: 'Bundle',
        type: 'transaction-response',
        entry: (b.entry ?? []).map((_, i) => ({
          response: { status: '200 OK', location: `Patient/p${i}/_history/1` },
        })),
      };
    };
    let deps: InboundDeps;

    before(async () => {
      fx = await backend.open();
      deps = { submit, log: fx.log, mappings: siteMappings(fx.log, { checkEveryMs: 0 }) };
    });
    after(async () => {
      await fx?.close();
    });

    it('keeps every message with its outcome, ACK and the resources written, and logs the steps', async () => {
      const r = await processMessage(MSG, deps, { remoteAddress: '127.0.0.1' });
      assert.equal(r.code, 'AA');
      const rows = await sql('SELECT * FROM hl7_messages WHERE control_id = ?', ['CTL-1']);
      const row = rows[0]!;
      assert.equal(row.status, 'processed');
      assert.equal(row.ack_code, 'AA');
      assert.equal(row.message_type, 'ADT');
      assert.equal(row.trigger_event, 'A08');
      assert.equal(row.sending_application, 'LAB');
      assert.equal(row.patient_identifier, 'M-55');
      assert.match(row.ack_message, /MSA\|AA\|CTL-1/);
      assert.ok(row.processed_at);
      const logs = await sql('SELECT stage, level FROM hl7_message_logs WHERE message_id = ?', [row.id]);
      assert.ok(logs.some((l) => l.stage === 'transaction' && l.level === 'info'));
    });

    it('detects a duplicate control id from the same sender and answers without writing twice', async () => {
      const before = written.length;
      const r = await processMessage(MSG, deps);
      assert.equal(r.code, 'AA');
      assert.equal(r.duplicate, true);
      assert.equal(written.length, before);
      const other = await processMessage(MSG.replace('|LAB|', '|RAD|'), deps);
      assert.equal(other.duplicate, undefined);
      assert.equal(written.length, before + 1);
    });

    it('queues a failed message (AE) and replays it until it succeeds', async () => {
      failNext = true;
      const r = await processMessage(MSG.replace('CTL-1', 'CTL-2'), deps);
      assert.equal(r.code, 'AE');
      const [m] = await sql('SELECT id, status FROM hl7_messages WHERE control_id = ?', ['CTL-2']);
      assert.equal(m!.status, 'failed');
      const [q] = await sql('SELECT status, last_error FROM message_queue WHERE message_id = ?', [m!.id]);
      assert.equal(q!.status, 'pending');
      assert.match(q!.last_error, /store unavailable/);
      assert.deepEqual(await replayQueue(deps), { attempted: 1, completed: 1, failed: 0 });
      const [after] = await sql('SELECT status FROM hl7_messages WHERE id = ?', [m!.id]);
      assert.equal(after!.status, 'processed');
      const [q2] = await sql('SELECT status, attempts FROM message_queue WHERE message_id = ?', [m!.id]);
      assert.deepEqual([q2!.status, Number(q2!.attempts)], ['completed', 1]);
    });

    it('applies code-table overrides from fhir_mappings without a release', async () => {
      await sql(
        "INSERT INTO fhir_mappings (name, direction, message_type, code_map) VALUES ('AdministrativeSex', 'hl7_to_fhir', 'ADT', ?)",
        [JSON.stringify({ F: 'other', X: { code: 'unknown', system: 'http://hl7.org/fhir/administrative-gender' } })],
      );
      const r = await processMessage(MSG.replace('CTL-1', 'CTL-3'), deps);
      assert.equal(r.code, 'AA');
      assert.equal((r.bundle!.entry![0]!.resource as Patient).gender, 'other');
    });

    it('reads the outbound MLLP endpoints from interface_configs', async () => {
      await sql(
        `INSERT INTO interface_configs (name, direction, protocol, host, port, message_types, receiving_application) VALUES
        ('lis', 'outbound', 'mllp_tls', 'lis.local', 2575, '["ORU^R01"]', 'LIS'),
        ('adt-feed', 'bidirectional', 'mllp', '10.0.0.5', 6661, NULL, NULL),
        ('inbound-only', 'inbound', 'mllp', '0.0.0.0', 2575, NULL, NULL),
        ('off', 'outbound', 'mllp', 'x', 1, NULL, NULL)`,
      );
      await sql("UPDATE interface_configs SET is_active = FALSE WHERE name = 'off'");
      const eps = fx.mysqlUrl
        ? await loadOutboundEndpoints(fx.mysqlUrl)
        : (await sql(OUTBOUND_ENDPOINTS_SQL)).map(endpointFromRow);
      assert.deepEqual(
        eps.map((e) => [e.name, e.tls]),
        [
          ['adt-feed', false],
          ['lis', true],
        ],
      );
      assert.deepEqual(
        endpointsFor(eps, 'ORU^R01').map((e) => e.name),
        ['adt-feed', 'lis'],
      );
      assert.deepEqual(
        endpointsFor(eps, 'ADT^A08').map((e) => e.name),
        ['adt-feed'],
      );
    });
  });
}
