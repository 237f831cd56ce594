/**
 * The delivery bookkeeping (schema nilecare_subscriptions, migrations/embedded/postgres): subscriptions as of the
 * feed cursor, their event counters and delivery state, and the queued events. Statements take a FeedTx (`?`
 * placeholders), so the queueing runs inside the change-feed batch's transaction.
 */
import type { Subscription } from '@medplum/fhirtypes';
import type { FeedDb, FeedTx } from '../../change-feed/feed-state.js';
import { HEARTBEAT_PERIOD_EXTENSION } from './subscription-model.js';

export type SubscriptionRow = {
  id: string;
  resource: Subscription;
  status: string;
  eventsQueued: number;
  deliveredThrough: number;
  failures: number;
  nextAttemptAt: string | null;
  lastDeliveryAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
};

export type EventRow = {
  subscriptionId: string;
  eventNumber: number;
  changeSeq: number;
  resourceType: string;
  resourceId: string;
  versionId: number;
  deleted: boolean;
  occurredAt: string;
};

type RawSubscription = {
  subscription_id: string;
  resource: Subscription | string;
  status: string;
  events_queued: string | number;
  delivered_through: string | number;
  failures: number;
  next_attempt_at: Date | string | null;
  last_delivery_at: Date | string | null;
  last_error: string | null;
  last_error_at: Date | string | null;
};

const iso = (v: Date | string | null): string | null =>
  v === null ? null : v instanceof Date ? v.toISOString() : new Date(v).toISOString();

function toRow(r: RawSubscription): SubscriptionRow {
  return {
    id: r.subscription_id,
    resource: typeof r.resource === 'string' ? (JSON.parse(r.resource) as Subscription) : r.resource,
    status: r.status,
    eventsQueued: Number(r.events_queued),
    deliveredThrough: Number(r.delivered_through),
    failures: Number(r.failures),
    nextAttemptAt: iso(r.next_attempt_at),
    lastDeliveryAt: iso(r.last_delivery_at),
    lastError: r.last_error,
    lastErrorAt: iso(r.last_error_at),
  };
}

const COLUMNS = `subscription_id, resource, status, events_queued, delivered_through, failures, next_attempt_at,
  last_delivery_at, last_error, last_error_at`;

export async function listSubscriptions(db: FeedTx): Promise<SubscriptionRow[]> {
  const rows = await db.query<RawSubscription>(
    `SELECT ${COLUMNS} FROM notification_subscriptions WHERE NOT removed ORDER BY subscription_id`,
  );
  return rows.map(toRow);
}

export async function readSubscriptionRow(db: FeedTx, id: string): Promise<SubscriptionRow | undefined> {
  const rows = await db.query<RawSubscription>(
    `SELECT ${COLUMNS} FROM notification_subscriptions WHERE subscription_id = ? AND NOT removed`,
    [id],
  );
  return rows[0] ? toRow(rows[0]) : undefined;
}

/**
 * A due subscription without its resource (`resourceKey`, meta versionId|lastUpdated, says whether a copy is
 * current) and with its first undelivered events (`events`, in number order; the delivery reads on when they were
 * `eventsLimit` or fewer than the counter says).
 */
export type DueRow = Omit<SubscriptionRow, 'resource'> & {
  resourceKey: string;
  events: EventRow[];
  eventsLimit: number;
};

/**
 * Subscriptions with undelivered events whose next attempt is due, or waiting to be activated, except those in
 * `busy` (being served), each with its first `eventsLimit` undelivered events: one statement for all of them. Those
 * served longest ago come first (after those never failed): with more due than lanes, none waits behind the others.
 * Without the resource: the delivery keeps each subscription's parsed resource and reads it again only when
 * `resourceKey` changed.
 */
export async function dueSubscriptions(
  db: FeedTx,
  limit: number,
  busy: readonly string[] = [],
  eventsLimit = 100,
): Promise<DueRow[]> {
  const rows = await db.query<
    Omit<RawSubscription, 'resource'> & { resource_key: string; event: RawEvent | string | null }
  >(
    `WITH due AS (
       SELECT subscription_id, status, events_queued, delivered_through, failures, next_attempt_at, last_delivery_at,
         last_error, last_error_at,
         COALESCE(resource->'meta'->>'versionId', '') || '|' || COALESCE(resource->'meta'->>'lastUpdated', '') AS resource_key
       FROM notification_subscriptions
       WHERE NOT removed AND status <> 'off'
         AND (events_queued > delivered_through OR status = 'requested')
         AND (next_attempt_at IS NULL OR next_attempt_at <= now())
         AND NOT (subscription_id = ANY(?::text[]))
       ORDER BY next_attempt_at NULLS FIRST, last_delivery_at NULLS FIRST, subscription_id LIMIT ?)
     SELECT due.*, to_jsonb(e) AS event FROM due LEFT JOIN LATERAL (
       SELECT subscription_id, event_number, change_seq, resource_type, resource_id, version_id, deleted, occurred_at
       FROM notification_events WHERE subscription_id = due.subscription_id AND event_number > due.delivered_through
       ORDER BY event_number LIMIT ?) e ON TRUE
     ORDER BY due.next_attempt_at NULLS FIRST, due.last_delivery_at NULLS FIRST, due.subscription_id, e.event_number`,
    [[...busy], limit, eventsLimit],
  );
  const due = new Map<string, DueRow>();
  for (const r of rows) {
    let row = due.get(r.subscription_id);
    if (!row) {
      const { resource: _none, ...fields } = toRow({ ...r, resource: '{}' });
      row = { ...fields, resourceKey: r.resource_key, events: [], eventsLimit };
      due.set(r.subscription_id, row);
    }
    if (r.event) row.events.push(toEvent(typeof r.event === 'string' ? (JSON.parse(r.event) as RawEvent) : r.event));
  }
  return [...due.values()];
}

/** The key dueSubscriptions gives a subscription's resource. */
export function resourceKeyOf(resource: Subscription): string {
  return `${resource.meta?.versionId ?? ''}|${resource.meta?.lastUpdated ?? ''}`;
}

/**
 * Active and errored subscriptions that ask for heartbeats (backport-heartbeat-period on the channel) and have nothing
 * waiting to be delivered (an event notification is due instead).
 */
export async function heartbeatRows(db: FeedTx): Promise<SubscriptionRow[]> {
  const rows = await db.query<RawSubscription>(
    `SELECT ${COLUMNS} FROM notification_subscriptions
     WHERE NOT removed AND status IN ('active', 'error') AND events_queued <= delivered_through
       AND resource->'channel'->'extension' @> ?::jsonb`,
    [JSON.stringify([{ url: HEARTBEAT_PERIOD_EXTENSION }])],
  );
  return rows.map(toRow);
}

/** Milliseconds until the earliest retry of a subscription with undelivered events (undefined: none waits). */
export async function nextRetryInMs(db: FeedTx): Promise<number | undefined> {
  const rows = await db.query<{ ms: string | number | null }>(
    `SELECT EXTRACT(EPOCH FROM (MIN(next_attempt_at) - now())) * 1000 AS ms FROM notification_subscriptions
     WHERE NOT removed AND status <> 'off' AND events_queued > delivered_through AND next_attempt_at IS NOT NULL`,
  );
  const ms = rows[0]?.ms;
  return ms === null || ms === undefined ? undefined : Math.max(0, Number(ms));
}

/** The subscription as of this change of the log (a client's or the engine's write); its counters are kept. */
export async function upsertSubscription(tx: FeedTx, resource: Subscription, status: string): Promise<void> {
  await tx.query(
    `INSERT INTO notification_subscriptions (subscription_id, resource, status) VALUES (?, ?::jsonb, ?)
     ON CONFLICT (subscription_id) DO UPDATE SET resource = EXCLUDED.resource, status = EXCLUDED.status,
       removed = FALSE, next_attempt_at = NULL`,
    [resource.id, JSON.stringify(resource), status],
  );
}

export async function removeSubscription(tx: FeedTx, id: string): Promise<void> {
  await tx.query(`UPDATE notification_subscriptions SET removed = TRUE, status = 'off' WHERE subscription_id = ?`, [
    id,
  ]);
  await tx.query('DELETE FROM notification_events WHERE subscription_id = ?', [id]);
}

/**
 * Queues events (in the order given; each subscription's get its next numbers in that order): one counter UPDATE per
 * subscription and one multi-row INSERT per 500 events, inside the batch's transaction.
 */
export async function queueEvents(tx: FeedTx, events: ReadonlyArray<Omit<EventRow, 'eventNumber'>>): Promise<void> {
  if (events.length === 0) return;
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.subscriptionId, (counts.get(e.subscriptionId) ?? 0) + 1);
  const ids = [...counts.keys()].sort();
  if (ids.length > 1) await lockInOrder(tx, ids);
  const rows = await tx.query<{ id: string; n: string | number }>(
    `UPDATE notification_subscriptions s SET events_queued = s.events_queued + d.n
     FROM unnest(?::text[], ?::bigint[]) AS d(id, n) WHERE s.subscription_id = d.id
     RETURNING s.subscription_id AS id, s.events_queued AS n`,
    [ids, ids.map((id) => counts.get(id) as number)],
  );
  const next = new Map<string, number>();
  for (const r of rows) next.set(r.id, Number(r.n) - (counts.get(r.id) as number) + 1);
  for (const id of ids) if (!next.has(id)) throw new Error(`subscription ${id} has no bookkeeping row`);
  for (let from = 0; from < events.length; from += 500) {
    const chunk = events.slice(from, from + 500);
    const params: unknown[] = [];
    for (const e of chunk) {
      const number = next.get(e.subscriptionId) as number;
      next.set(e.subscriptionId, number + 1);
      params.push(e.subscriptionId, number, e.changeSeq, e.resourceType, e.resourceId, e.versionId, e.deleted);
      params.push(e.occurredAt);
    }
    await tx.query(
      `INSERT INTO notification_events (subscription_id, event_number, change_seq, resource_type, resource_id, version_id,
         deleted, occurred_at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      params,
    );
  }
}

type RawEvent = {
  subscription_id: string;
  event_number: string | number;
  change_seq: string | number;
  resource_type: string;
  resource_id: string;
  version_id: number;
  deleted: boolean;
  occurred_at: string | Date;
};

export async function eventsAfter(db: FeedTx, id: string, after: number, limit: number): Promise<EventRow[]> {
  const rows = await db.query<RawEvent>(
    `SELECT * FROM notification_events WHERE subscription_id = ? AND event_number > ? ORDER BY event_number LIMIT ?`,
    [id, after, limit],
  );
  return rows.map(toEvent);
}

function toEvent(r: RawEvent): EventRow {
  return {
    subscriptionId: r.subscription_id,
    eventNumber: Number(r.event_number),
    changeSeq: Number(r.change_seq),
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    versionId: Number(r.version_id),
    deleted: r.deleted,
    occurredAt: typeof r.occurred_at === 'string' ? r.occurred_at : new Date(r.occurred_at).toISOString(),
  };
}

/** The channel accepted the events through `through` (one statement; old events go in `dropDeliveredEvents`). */
export async function markDelivered(db: FeedDb, id: string, through: number): Promise<void> {
  await markDeliveredMany(db, [{ id, through }]);
}

/**
 * Several subscriptions' channels accepted their events through `through`: one statement for all, the rows locked
 * in id order (the sorted FOR UPDATE subquery, as the feed's queueing locks them: no deadlock between the two).
 */
export async function markDeliveredMany(
  db: FeedDb,
  marks: ReadonlyArray<{ id: string; through: number }>,
): Promise<void> {
  if (marks.length === 0) return;
  const through = new Map<string, number>();
  for (const m of marks) through.set(m.id, Math.max(m.through, through.get(m.id) ?? 0));
  const ids = [...through.keys()].sort();
  await db.query(
    `UPDATE notification_subscriptions s SET delivered_through = GREATEST(s.delivered_through, d.through),
       failures = 0, next_attempt_at = NULL, last_delivery_at = now()
     FROM (SELECT subscription_id FROM notification_subscriptions WHERE subscription_id = ANY(?::text[])
           ORDER BY subscription_id FOR UPDATE) l,
       unnest(?::text[], ?::bigint[]) AS d(id, through)
     WHERE s.subscription_id = l.subscription_id AND d.id = l.subscription_id`,
    [ids, ids, ids.map((id) => through.get(id) as number)],
  );
}

/** Locks the rows of `ids` (sorted) in that order: the feed and the delivery take them in the same order. */
async function lockInOrder(tx: FeedTx, ids: readonly string[]): Promise<void> {
  await tx.query(
    `SELECT subscription_id FROM notification_subscriptions WHERE subscription_id = ANY(?::text[])
     ORDER BY subscription_id FOR UPDATE`,
    [ids],
  );
}

/**
 * Drops delivered events queued more than `retentionSeconds` ago ($events answers what is left), oldest first, at
 * most `limit` per subscription per call (the oldest events of a subscription have the lowest numbers: the primary
 * key finds them without reading the rest). Returns the number of rows dropped.
 */
export async function dropDeliveredEvents(db: FeedTx, retentionSeconds: number, limit = 5000): Promise<number> {
  const subs = await db.query<{ subscription_id: string; delivered_through: string | number }>(
    `SELECT subscription_id, delivered_through FROM notification_subscriptions WHERE delivered_through > 0`,
  );
  let dropped = 0;
  for (const s of subs) {
    const rows = await db.query<{ n: string | number }>(
      `WITH gone AS (
         DELETE FROM notification_events WHERE subscription_id = ? AND event_number IN (
           SELECT event_number FROM notification_events WHERE subscription_id = ? AND event_number <= ?
             ORDER BY event_number LIMIT ?)
         AND queued_at < now() - make_interval(secs => ?) RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [s.subscription_id, s.subscription_id, s.delivered_through, limit, retentionSeconds],
    );
    dropped += Number(rows[0]?.n ?? 0);
  }
  return dropped;
}

export async function markFailed(db: FeedTx, id: string, error: string, retryInMs: number): Promise<number> {
  const rows = await db.query<{ failures: number }>(
    `UPDATE notification_subscriptions SET failures = failures + 1, last_error = ?, last_error_at = now(),
       next_attempt_at = now() + make_interval(secs => ?) WHERE subscription_id = ? RETURNING failures`,
    [error.slice(0, 2000), retryInMs / 1000, id],
  );
  return Number(rows[0]?.failures ?? 0);
}

/** The engine's own view of the status (the resource follows through the log). */
export async function setRowStatus(db: FeedTx, id: string, status: string): Promise<void> {
  await db.query('UPDATE notification_subscriptions SET status = ? WHERE subscription_id = ?', [status, id]);
}
