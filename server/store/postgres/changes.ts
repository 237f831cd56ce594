/**
 * The change feed (transactional outbox). A write's transaction inserts its change rows without a
 * seq; committed rows receive their seq here, in one short transaction serialised by an advisory
 * lock, before they are read. So seqs become visible in increasing order: once a reader has seen
 * seq S, every later-committed change gets a seq above S, and no writer ever waits on that lock.
 */
import type { ChangeRecord } from '../resource-store.js';
import { CHANGE_LOCK_KEY } from './schema.js';
import type { SqlClient } from './sql-client.js';

const HAS_UNSEQUENCED = { name: 'fhir_changes_pending', text: 'SELECT 1 FROM fhir_change WHERE seq IS NULL LIMIT 1' };

const ASSIGN_SEQS = {
  name: 'fhir_changes_sequence',
  text: `UPDATE fhir_change c SET seq = s.seq
         FROM (SELECT o.change_id, nextval('fhir_change_seq') AS seq
               FROM (SELECT change_id FROM fhir_change WHERE seq IS NULL ORDER BY change_id) o) s
         WHERE c.change_id = s.change_id`,
};

const READ_CHANGES = {
  name: 'fhir_changes_after',
  text: `SELECT seq, resource_type, resource_id, version_id, deleted, last_updated FROM fhir_change WHERE seq > $1 ORDER BY seq LIMIT $2`,
};

type ChangeRow = {
  seq: number;
  resource_type: string;
  resource_id: string;
  version_id: number;
  deleted: boolean;
  last_updated: string;
};

/**
 * Lock, then number: sent as ONE simple-protocol message, whose statements PostgreSQL runs as one transaction (the
 * lock is held to its end) with a snapshot per statement (READ COMMITTED), so the UPDATE sees every change committed
 * before the lock was granted — what BEGIN, lock, UPDATE, COMMIT did, in one round trip instead of four.
 */
const LOCK_AND_SEQUENCE = `SELECT pg_advisory_xact_lock(${CHANGE_LOCK_KEY}); ${ASSIGN_SEQS.text}`;

/** Gives every committed, unsequenced change its seq (in insertion order). */
export async function sequenceChanges(client: SqlClient): Promise<void> {
  const pending = await client.query(HAS_UNSEQUENCED);
  if (pending.rows.length === 0) return;
  await client.exec(LOCK_AND_SEQUENCE);
}

export async function changesAfter(client: SqlClient, afterSeq: number, limit: number): Promise<ChangeRecord[]> {
  if (!(limit > 0)) return [];
  await sequenceChanges(client);
  const after = Number.isFinite(afterSeq) ? Math.max(0, Math.floor(afterSeq)) : 0;
  const { rows } = await client.query<ChangeRow>({
    ...READ_CHANGES,
    values: [after, Math.floor(Math.min(limit, 1_000_000))],
  });
  return rows.map((r) => ({
    seq: Number(r.seq),
    resourceType: r.resource_type,
    id: r.resource_id,
    versionId: Number(r.version_id),
    deleted: r.deleted,
    lastUpdated: r.last_updated,
  }));
}
