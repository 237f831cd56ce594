/**
 * Issue #14 item 1, HL7 inbound side (file of the atomic helper; it only uses the inbound pipeline): feeds arriving
 * at once for one new patient resolve it through the FHIR app's conditional writes, which are now atomic — one
 * Patient, every message AA. On PostgreSQL with two app instances on one database (two server processes in effect).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '../../../server/store/postgres/testing/test-stores.js';
import { openPostgresStore } from '../../../server/store/postgres/open-postgres-store.js';
import { startTestServer, type TestServer } from '../../../server/testing/test-server.js';
import { MemoryMessageLog } from '../log/testing/memory-message-log.js';
import { processMessage, type InboundDeps } from './process-message.js';
import { fixedMappings } from './site-mapping-cache.js';

let n = 0;
const msh = (type: string) => `MSH|^~\\&|ADT|KTH|NILE|NC|20260301120000||${type}|RACE-${++n}-${randomUUID()}|P|2.5.1`;
const pid = (mrn: string) => `PID|1||${mrn}^^^KTH^MR||Abdelrahman^Safa||19850505|F`;

describe('HL7 feeds for one new patient at once (PostgreSQL, 2 app instances)', () => {
  const servers: TestServer[] = [];
  const deps: InboundDeps[] = [];
  let drop: () => Promise<void>;

  before(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    for (let i = 0; i < 2; i++) {
      const store = await openPostgresStore({ url: database.url, poolSize: 8 });
      if (i === 0) await store.init();
      const server = await startTestServer(store);
      servers.push(server);
      deps.push({
        submit: (b) => server.app.systemClient.transaction(b, { return: 'minimal' }),
        log: new MemoryMessageLog(),
        mappings: fixedMappings(),
      });
    }
  });
  after(async () => {
    for (const server of servers) {
      await server.close();
      await server.app.store.close();
    }
    await drop?.();
  });

  it('10 rounds of 12 concurrent ADT^A04 for one new MRN: one Patient each round, every message AA', async () => {
    for (let round = 0; round < 10; round++) {
      const mrn = `RACE-${round}-${randomUUID().slice(0, 8)}`;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          processMessage([msh('ADT^A04'), 'EVN|A04|20260301120000', pid(mrn), 'PV1|1|O'].join('\r'), deps[i % 2]!),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.code),
        Array(12).fill('AA'),
        `round ${round}`,
      );
      const found = (await servers[0]!.fhir(`/Patient?identifier=${encodeURIComponent(mrn)}`)).body;
      assert.equal(found.entry?.length ?? 0, 1, `round ${round}: one Patient for ${mrn}`);
    }
  });
});
