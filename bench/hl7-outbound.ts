/**
 * HL7 v2 outbound throughput: N patients (each: Patient, an in-progress then finished Encounter, a final
 * DiagnosticReport with two Observations → A04, A01, A03, ORU^R01) written into a PGlite store, then the
 * OutboundWorker delivers them to a fake MLLP peer on loopback (ACK AA). Prints JSON: messages, seconds from start
 * of delivery to the last ACK recorded, messages per second, and the process CPU time (the peer runs in-process).
 *
 *   npx tsx bench/hl7-outbound.ts [--patients 200]
 *
 * nilecare_interop: a fresh, migrated test database on the local MariaDB (dropped at the end).
 */
import mysql from 'mysql2/promise';
import type { Resource } from '@medplum/fhirtypes';
import { openPgliteTestStore } from '../server/store/postgres/testing/pglite-template.js';
import { createTestDatabase } from '../server/migrate/testing/test-databases.js';
import { migrateDatabase } from '../server/migrate/migrate.js';
import { fhirWriter } from '../adapters/outbox/testing/fhir-writer.js';
import { OutboundWorker } from '../adapters/hl7v2/outbound/outbound-worker.js';
import { FakePeer } from '../adapters/hl7v2/outbound/testing/fake-peer.js';

const i = process.argv.indexOf('--patients');
const patients = i > 0 ? Number(process.argv[i + 1]) : 200;

const db = await createTestDatabase('mysql', 'nilecare_interop');
await migrateDatabase({ engine: 'mysql', database: 'nilecare_interop', connection: { url: db.url } });
const store = await openPgliteTestStore();
const fhir = fhirWriter(store);
const peer = await new FakePeer().start(0);
const sql = await mysql.createConnection({ uri: db.url });
await sql.query(
  "INSERT INTO interface_configs (name, direction, protocol, host, port, timeout_ms) VALUES ('bench', 'outbound', 'mllp', '127.0.0.1', ?, 5000)",
  [peer.listeningPort],
);

const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });
for (let n = 0; n < patients; n++) {
  const p = `bp${n}`;
  const enc = (status: string): Resource =>
    ({
      resourceType: 'Encounter',
      id: `be${n}`,
      status,
      class: { code: 'IMP' },
      subject: { reference: `Patient/${p}` },
    }) as Resource;
  await fhir.put({
    resourceType: 'Patient',
    id: p,
    identifier: [{ system: 'urn:oid:1.2.3', value: `MRN${n}` }],
    name: [{ family: `Bench${n}` }],
    gender: 'female',
    birthDate: '1980-01-01',
  });
  await fhir.put(enc('in-progress'));
  await fhir.put(enc('finished'));
  await fhir.put(
    {
      resourceType: 'Observation',
      id: `bo${n}a`,
      status: 'final',
      code: loinc('718-7'),
      valueQuantity: { value: 13, unit: 'g/dL', system: 'http://unitsofmeasure.org', code: 'g/dL' },
    },
    {
      resourceType: 'Observation',
      id: `bo${n}b`,
      status: 'final',
      code: loinc('6690-2'),
      valueQuantity: { value: 7.2, unit: '10*3/uL', system: 'http://unitsofmeasure.org', code: '10*3/uL' },
    },
    {
      resourceType: 'DiagnosticReport',
      id: `br${n}`,
      status: 'final',
      code: loinc('58410-2'),
      subject: { reference: `Patient/${p}` },
      result: [{ reference: `Observation/bo${n}a` }, { reference: `Observation/bo${n}b` }],
    },
  );
}

const expected = patients * 4;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const worker = new OutboundWorker({ store, mysqlUrl: db.url, startAt: 'start', pollIntervalMs: 50 }).start();
for (;;) {
  const [rows] = await sql.query<mysql.RowDataPacket[]>(
    "SELECT COUNT(*) AS n FROM hl7_messages WHERE status = 'acknowledged'",
  );
  if (Number(rows[0]!.n) >= expected) break;
  await new Promise((r) => setTimeout(r, 50));
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const inOrder = [...new Set(peer.received.map((r) => r.mrn))].every(
  (mrn) =>
    peer
      .accepted(mrn)
      .map((r) => r.type)
      .join() === 'ADT^A04,ADT^A01,ADT^A03,ORU^R01',
);
await worker.stop();
await peer.stop();
await sql.end();
await store.close();
await db.drop();
console.log(
  JSON.stringify({
    bench: 'hl7-outbound',
    patients,
    messages: expected,
    received: peer.received.length,
    inOrderPerPatient: inOrder,
    seconds: +seconds.toFixed(2),
    messagesPerSecond: Math.round(expected / seconds),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  }),
);
