/**
 * The change feed of the MongoDB store (transactional outbox), ordered without a document every write touches.
 *
 * A write's transaction inserts one change document per version with `seq: 0` (pending) and a key of its own
 * (change-keys.ts). Readers give the committed pending documents their seq before they read, in a short
 * transaction of their own that moves the `counters/changes` document: only readers touch it, never a write.
 * That transaction reads in one snapshot, so a change committed after it stays pending and gets a higher seq
 * next time: once a reader has seen seq S, every change committed later gets a seq above S — no reader skips
 * one, whatever the writers' clocks (the same design as the PostgreSQL store's fhir_change, server/store/postgres/
 * changes.ts). Two sequencing transactions at once write the same documents; MongoDB aborts one with a write
 * conflict and the driver runs it again.
 *
 * Order: pending changes are numbered in key order, except that the versions of one resource are numbered in
 * version order (keys of different nodes follow their clocks; a resource's version N+1 cannot commit before N).
 */
import type { ChangeRecord, VersionWrite } from '../resource-store.js';
import { CHANGES_COLLECTION, COUNTERS_COLLECTION } from './collection-names.js';
import type { Doc, DocDatabase, DocDatabaseHandle } from './doc-db.js';
import { nextChangeKey } from './change-keys.js';

/** The seq of a change no reader has numbered yet. */
export const PENDING = 0;
const COUNTER_ID = 'changes';
/** Changes numbered per sequencing transaction (it runs again while more are pending). */
const SEQUENCE_BATCH = 1000;
const RACE_RETRIES = 5;

/** The change documents of a write batch, pending, in the batch's order (called inside its transaction). */
export function pendingChangeDocs(writes: readonly VersionWrite[]): Doc[] {
  return writes.map((w) => ({
    _id: nextChangeKey(),
    seq: PENDING,
    resourceType: w.resourceType,
    id: w.id,
    versionId: w.versionId,
    deleted: w.resource === null,
    lastUpdated: w.lastUpdated,
  }));
}

/** The indexes and the counter the feed needs; changes written before keys existed (_id = seq) get their seq. */
export async function initChangeLog(db: DocDatabaseHandle): Promise<void> {
  const changes = db.collection(CHANGES_COLLECTION);
  await changes.createIndex({ name: 'lastUpdated', keys: { lastUpdated: 1 } });
  await changes.createIndex({ name: 'seq', keys: { seq: 1 } });
  await db.collection(COUNTERS_COLLECTION).updateOne({ _id: COUNTER_ID }, { $inc: { seq: 0 } }, { upsert: true });
  for (const old of await changes.find({ seq: { $exists: false } }))
    if (typeof old._id === 'number') await changes.updateOne({ _id: old._id }, { $set: { seq: old._id } });
}

/** Numbers every committed pending change (see the file comment). */
export async function sequenceChanges(db: DocDatabaseHandle): Promise<void> {
  let failures = 0;
  for (;;) {
    if (!(await db.collection(CHANGES_COLLECTION).findOne({ seq: PENDING }, { projection: { _id: 1 } }))) return;
    try {
      const numbered = await db.withTransaction((tx) => sequenceBatch(tx));
      if (numbered < SEQUENCE_BATCH) return;
      failures = 0;
    } catch (error) {
      // another reader numbered the same changes first: its numbers stand, look again
      if (!(error instanceof SequencedMeanwhile) || ++failures > RACE_RETRIES) throw error;
    }
  }
}

async function sequenceBatch(tx: DocDatabase): Promise<number> {
  const counters = tx.collection(COUNTERS_COLLECTION);
  const last = (await counters.findOne({ _id: COUNTER_ID }))?.['seq'];
  const start = typeof last === 'number' ? last : 0;
  const pending = await tx
    .collection(CHANGES_COLLECTION)
    .find({ seq: PENDING }, { sort: { _id: 1 }, limit: SEQUENCE_BATCH });
  let seq = start;
  for (const doc of inVersionOrder(pending)) {
    const { matched } = await tx
      .collection(CHANGES_COLLECTION)
      .updateOne({ _id: doc._id, seq: PENDING }, { $set: { seq: ++seq } });
    if (matched === 0) throw new SequencedMeanwhile();
  }
  if (seq === start) return 0;
  const { matched } = await counters.updateOne({ _id: COUNTER_ID, seq: start }, { $set: { seq } }, { upsert: false });
  if (matched === 0) throw new SequencedMeanwhile();
  return pending.length;
}

/** Key order, with each resource's versions moved into version order among the places they hold. */
export function inVersionOrder(docs: readonly Doc[]): Doc[] {
  const byResource = new Map<string, Doc[]>();
  for (const d of docs) {
    const k = `${String(d['resourceType'])}/${String(d['id'])}`;
    (byResource.get(k) ?? byResource.set(k, []).get(k)!).push(d);
  }
  const sorted = new Map<string, Doc[]>();
  for (const [k, list] of byResource)
    sorted.set(
      k,
      [...list].sort((a, b) => (a['versionId'] as number) - (b['versionId'] as number)),
    );
  const taken = new Map<string, number>();
  return docs.map((d) => {
    const k = `${String(d['resourceType'])}/${String(d['id'])}`;
    const i = taken.get(k) ?? 0;
    taken.set(k, i + 1);
    return sorted.get(k)![i]!;
  });
}

export async function changesAfter(db: DocDatabaseHandle, afterSeq: number, limit: number): Promise<ChangeRecord[]> {
  if (!(limit > 0)) return [];
  await sequenceChanges(db);
  const after = Number.isFinite(afterSeq) ? Math.max(PENDING, Math.floor(afterSeq)) : PENDING;
  const docs = await db
    .collection(CHANGES_COLLECTION)
    .find({ seq: { $gt: after } }, { sort: { seq: 1 }, limit: Math.floor(Math.min(limit, 1_000_000)) });
  return docs.map((d) => ({
    seq: d['seq'] as number,
    resourceType: d['resourceType'] as string,
    id: d['id'] as string,
    versionId: d['versionId'] as number,
    deleted: d['deleted'] as boolean,
    lastUpdated: d['lastUpdated'] as string,
  }));
}

/** A pending change was numbered by another reader between this one's look and its update. */
class SequencedMeanwhile extends Error {
  constructor() {
    super('the pending changes were numbered by another reader meanwhile');
    this.name = 'SequencedMeanwhile';
  }
}
