/** planChanges on a PGlite FHIR store: versions as of each change, endpoint message types, failures isolated. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { openPgliteTestStore } from '../../../server/store/postgres/testing/pglite-template.js';
import type { ResourceStore } from '../../../server/store/resource-store.js';
import { fhirWriter } from '../../outbox/testing/fhir-writer.js';
import type { OutboundEndpoint } from '../log/mysql-interface-configs.js';
import { parseMessage } from '../parser/parse-message.js';
import { OruBuilder, type OruInput } from './oru-builder.js';
import { planChanges, type PlanFailure } from './plan-changes.js';
import type { Endpoints } from './message-header.js';

const endpoint = (id: string, messageTypes?: string[]): OutboundEndpoint => ({
  id,
  name: id,
  host: '127.0.0.1',
  port: 1,
  tls: false,
  version: '2.5.1',
  timeoutMs: 1000,
  maxRetries: 1,
  retryBackoffMs: 10,
  receivingApplication: id.toUpperCase(),
  ...(messageTypes ? { messageTypes } : {}),
});
const enc = (status: string): Resource =>
  ({
    resourceType: 'Encounter',
    id: 'e1',
    status,
    class: { code: 'AMB' },
    subject: { reference: 'Patient/p1' },
  }) as Resource;
const dr = (id: string): Resource => ({
  resourceType: 'DiagnosticReport',
  id,
  status: 'final',
  code: { text: 'CBC' },
  subject: { reference: 'Patient/p1' },
});

/** An ORU builder that cannot build one particular report (stands for content a builder chokes on). */
class PickyOru extends OruBuilder {
  override build(input: OruInput, endpoints?: Endpoints, controlId?: string): string {
    if (input.report?.id === 'bad') throw new Error('cannot encode this report');
    return super.build(input, endpoints, controlId);
  }
}

describe('planChanges', () => {
  let store: ResourceStore;
  before(async () => {
    store = await openPgliteTestStore();
    const fhir = fhirWriter(store);
    await fhir.put({ resourceType: 'Patient', id: 'p1', identifier: [{ value: 'M1' }] });
    await fhir.put(enc('in-progress'));
    await fhir.put(enc('finished'));
    await fhir.put({ resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, valueString: 'ok' });
    await fhir.put(dr('bad'), dr('good'));
  });
  after(async () => store?.close());

  it('reads each changed resource at the version of its change, plans per endpoint and message type, keys by patient', async () => {
    const failures: PlanFailure[] = [];
    const records = await planChanges(
      await store.changesAfter(0, 100),
      [endpoint('adt', ['ADT']), endpoint('all')],
      store,
      new PickyOru(),
      (f) => failures.push(f),
    );
    const line = (r: (typeof records)[number]) => {
      const m = parseMessage(r.text);
      return `${r.endpointId} ${r.sourceResource}/${r.sourceVersion} ${m.messageType.code}^${m.messageType.event} ${m.get('MSH-5')} ${r.orderingKey}`;
    };
    assert.deepEqual(records.map(line), [
      'adt Patient/p1/1 ADT^A28 ADT Patient/p1',
      'all Patient/p1/1 ADT^A28 ALL Patient/p1',
      'adt Encounter/e1/1 ADT^A04 ADT Patient/p1',
      'all Encounter/e1/1 ADT^A04 ALL Patient/p1',
      'adt Encounter/e1/2 ADT^A03 ADT Patient/p1',
      'all Encounter/e1/2 ADT^A03 ALL Patient/p1',
      'all DiagnosticReport/good/1 ORU^R01 ALL Patient/p1',
    ]);
    assert.deepEqual(
      failures.map((f) => `${f.change.resourceType}/${f.change.id} ${f.endpoint} ${f.error}`),
      ['DiagnosticReport/bad all cannot encode this report'],
    );
    const seqs = records.map((r) => r.sourceSeq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'in change order',
    );
  });

  it('throws when the store cannot be read (the batch is tried again, nothing is skipped)', async () => {
    const other = await openPgliteTestStore();
    await fhirWriter(other).put({ resourceType: 'Patient', id: 'p9' });
    const changes = await other.changesAfter(0, 10);
    await other.close();
    await assert.rejects(planChanges(changes, [endpoint('all')], other, new OruBuilder()));
  });
});
