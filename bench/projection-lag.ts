/**
 * Projection lag under load: writes a steady mix of resources into a FHIR store (device Observations with
 * blood-pressure components, laboratory Observations, Claims, MedicationRequests) while the four projections
 * run, samples status() (changes behind, age of the oldest undelivered change) and reports percentiles,
 * delivery throughput and the time to catch up after the load stops.
 *
 *   npx tsx bench/projection-lag.ts [--seconds 20] [--rate 200] [--store pglite|postgres]
 *
 * Targets: fresh, migrated test databases on the local MariaDB and PostgreSQL (dropped at the end).
 */
import { randomUUID } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import { extractIndex } from '../server/fhir/indexing/extract-index.js';
import { openPostgresStore } from '../server/store/postgres/open-postgres-store.js';
import { openPgliteTestStore } from '../server/store/postgres/testing/pglite-template.js';
import { BENCH_DATABASE_PREFIX, createTestDatabase } from '../server/store/postgres/testing/test-stores.js';
import type { ResourceStore, VersionWrite } from '../server/store/resource-store.js';
import { startProjections } from '../adapters/outbox/start-projections.js';
import { countRows, createTestTargets } from '../adapters/outbox/testing/target-databases.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const seconds = Number(arg('seconds', '20'));
const rate = Number(arg('rate', '200'));
const storeKind = arg('store', 'pglite');

const PATIENT = randomUUID();
const PRACTITIONER = randomUUID();
const READINGS_BASE = Date.now() - 86_400_000;
const DEVICES = Array.from({ length: 5 }, (_, i) => `bench-monitor-${i}`);
const lab = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] };

function resourceFor(i: number, at: string): Resource {
  const id = randomUUID();
  switch (i % 10) {
    case 0:
      return {
        resourceType: 'Claim',
        id,
        status: 'active',
        use: 'claim',
        type: { coding: [{ code: 'professional' }] },
        patient: { reference: `Patient/${PATIENT}` },
        created: at,
        provider: { reference: `Practitioner/${PRACTITIONER}` },
        priority: { coding: [{ code: 'normal' }] },
        insurance: [{ sequence: 1, focal: true, coverage: { display: 'NHIF' } }],
        item: [
          {
            sequence: 1,
            productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213' }] },
            net: { value: 1500 },
          },
        ],
      };
    case 1:
    case 2:
      return {
        resourceType: 'Observation',
        id,
        status: 'final',
        category: [lab],
        code: { coding: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose' }] },
        subject: { reference: `Patient/${PATIENT}` },
        effectiveDateTime: at,
        valueQuantity: { value: 4 + (i % 7), unit: 'mmol/L' },
      };
    case 3:
      return {
        resourceType: 'MedicationRequest',
        id,
        status: 'active',
        intent: 'order',
        subject: { reference: `Patient/${PATIENT}` },
        requester: { reference: `Practitioner/${PRACTITIONER}` },
        medicationCodeableConcept: {
          coding: [
            {
              system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
              code: '197361',
              display: 'Amlodipine 5 MG Oral Tablet',
            },
          ],
        },
        authoredOn: at,
      };
    default: {
      // High-rate monitor readings: a distinct instant per observation (part of the readings' natural key), inside
      // the readings' retention window (older readings are not written).
      const when = new Date(READINGS_BASE + i * 1000).toISOString();
      return {
        resourceType: 'Observation',
        id,
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
        subject: { reference: `Patient/${PATIENT}` },
        device: { reference: `Device/${DEVICES[i % DEVICES.length]}` },
        effectiveDateTime: when,
        component: [
          { code: { coding: [{ code: '8480-6' }] }, valueQuantity: { value: 110 + (i % 30), unit: 'mm[Hg]' } },
          { code: { coding: [{ code: '8462-4' }] }, valueQuantity: { value: 70 + (i % 20), unit: 'mm[Hg]' } },
        ],
      };
    }
  }
}

function write(r: Resource): VersionWrite {
  const lastUpdated = new Date().toISOString();
  const resource = { ...r, meta: { versionId: '1', lastUpdated } } as Resource;
  return {
    resourceType: r.resourceType,
    id: r.id!,
    versionId: 1,
    lastUpdated,
    resource,
    index: extractIndex(resource),
  };
}

const pct = (xs: number[], p: number) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : 0;

async function main() {
  let store: ResourceStore;
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- kept as written (lint pass)
  let dropStore = async () => undefined as void;
  if (storeKind === 'postgres') {
    const db = await createTestDatabase(BENCH_DATABASE_PREFIX);
    store = await openPostgresStore({ url: db.url, poolSize: 8 });
    await store.init();
    dropStore = db.drop;
  } else store = await openPgliteTestStore();
  const targets = await createTestTargets();
  const running = await startProjections({ store, targets: targets.targets, pollIntervalMs: 50, batchSize: 500 });
  try {
    await store.write(
      DEVICES.map((id) =>
        write({
          resourceType: 'Device',
          id,
          status: 'active',
          serialNumber: `SN-${id}`,
          type: { text: 'patient monitor' },
        }),
      ),
    );
    const samples: Record<string, { changes: number[]; seconds: number[] }> = {};
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const s of await running.status()) {
          (samples[s.projection] ??= { changes: [], seconds: [] }).changes.push(s.lagChanges);
          samples[s.projection]!.seconds.push(s.lagSeconds);
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    console.log(
      `store ${store.description}; load ${rate} resources/s for ${seconds} s (transactions of ${Math.max(1, Math.round(rate / 10))})`,
    );
    const started = Date.now();
    let written = 0;
    while (Date.now() - started < seconds * 1000) {
      const due = Math.floor(((Date.now() - started) / 1000) * rate);
      if (written < due) {
        const n = Math.min(due - written, Math.max(1, Math.round(rate / 10)));
        const at = new Date().toISOString();
        await store.write(Array.from({ length: n }, (_, k) => write(resourceFor(written + k, at))));
        written += n;
      } else await new Promise((r) => setTimeout(r, 20));
    }
    const loadSeconds = (Date.now() - started) / 1000;
    const stopAt = Date.now();
    await running.caughtUp(600_000);
    const catchUp = (Date.now() - stopAt) / 1000;
    sampling = false;
    await sampler;
    const status = await running.status();
    console.log(
      `wrote ${written} resources in ${loadSeconds.toFixed(1)} s (${Math.round(written / loadSeconds)}/s); caught up ${catchUp.toFixed(2)} s after the load stopped`,
    );
    console.log('projection   delivered  lag changes p50/p95/max   lag seconds p50/p95/max   dead letters');
    for (const s of status) {
      const x = samples[s.projection] ?? { changes: [], seconds: [] };
      console.log(
        `${s.projection.padEnd(12)} ${String(s.delivered).padStart(9)}  ${[pct(x.changes, 50), pct(x.changes, 95), Math.max(0, ...x.changes)].join('/').padStart(22)}   ${[
          pct(x.seconds, 50),
          pct(x.seconds, 95),
          Math.max(0, ...x.seconds),
        ]
          .map((v) => v.toFixed(2))
          .join('/')
          .padStart(22)}   ${s.deadLetters.length}`,
      );
    }
    const rows = await countRows(targets.targets);
    console.log(
      `rows: device_readings ${rows.device_readings}, lab_results ${rows.lab_results}, insurance_claims ${rows.insurance_claims}, prescriptions ${rows.prescriptions}`,
    );
  } finally {
    await running.stop();
    await targets.drop();
    await store.close();
    await dropStore();
  }
}

await main();
