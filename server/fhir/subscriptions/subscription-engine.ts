/**
 * The subscription engine: one FeedConsumer over the change log (cursor `subscriptions` in notification_cursor)
 * whose handler queues notification events in the batch's transaction, and a delivery loop on the node that holds
 * the feed's lease. At its first start the engine begins at the end of the log and imports the Subscriptions that
 * already exist, so no old change is replayed.
 */
import type { Subscription } from '@medplum/fhirtypes';
import type { Logger } from 'pino';
import { FeedConsumer, type FeedLag } from '../../change-feed/feed-consumer.js';
import { SqlFeedCursor, type FeedDb } from '../../change-feed/feed-state.js';
import type { FeedLease } from '../../change-feed/lease.js';
import type { WriteSignal } from '../../change-feed/write-signal.js';
import type { ResourceStore } from '../../store/resource-store.js';
import type { FhirServices } from '../fhir-context.js';
import { NotificationDelivery, type DeliveryOptions } from './notification-delivery.js';
import { NotificationQueue } from './notification-queue.js';
import { listSubscriptions, upsertSubscription, type SubscriptionRow } from './notification-tables.js';
import { subscriptionStatusWriter } from './subscription-status-writer.js';
import type { NotificationFanout } from './notification-fanout.js';

export const CURSOR_TABLE = { table: 'notification_cursor', key: 'name', count: 'queued' } as const;

export type EngineOptions = {
  store: ResourceStore;
  services: Pick<FhirServices, 'extractIndex' | 'now' | 'baseUrl' | 'resourceTypes' | 'compartmentsOf'>;
  db: FeedDb;
  fanout: NotificationFanout;
  lease?: FeedLease;
  logger?: Logger;
  /** Fallback poll while some subscription is active (writes of other nodes; default 200 ms). */
  pollMs?: number;
  /** Fallback poll while none is (a Subscription written on another node; default 5 s). */
  idlePollMs?: number;
  /** Writes of this node wake the feed at once. */
  writes?: WriteSignal;
  /**
   * Every write of the store goes through `writes` (PGlite: one process): the feed needs no fallback poll for other
   * nodes' writes and waits idlePollMs even while subscriptions are active.
   */
  onlyWriter?: boolean;
  delivery?: Pick<
    DeliveryOptions,
    'retryBaseMs' | 'maxRetryMs' | 'failuresBeforeError' | 'onDelivered' | 'retentionSeconds'
  >;
};

export type SubscriptionEngine = {
  feed: FeedConsumer;
  /** Subscriptions as the engine sees them: status, events queued and delivered, last delivery, last error. */
  list(): Promise<SubscriptionRow[]>;
  lag(): Promise<FeedLag>;
  stop(): Promise<void>;
};

export async function startSubscriptionEngine(o: EngineOptions): Promise<SubscriptionEngine> {
  const name = 'subscriptions';
  const cursor = new SqlFeedCursor(CURSOR_TABLE, name, () => endOfLog(o.store));
  if (!(await cursor.read(o.db))) await importExisting(o, cursor);
  const queue = new NotificationQueue({
    store: o.store,
    db: o.db,
    resourceTypes: o.services.resourceTypes,
    compartmentsOf: o.services.compartmentsOf,
    baseUrl: o.services.baseUrl,
    ...(o.logger ? { logger: o.logger } : {}),
  });
  const delivery = new NotificationDelivery({
    db: o.db,
    store: o.store,
    baseUrl: o.services.baseUrl,
    resourceTypes: o.services.resourceTypes,
    writeStatus: subscriptionStatusWriter(o.store, o.services),
    websockets: o.fanout,
    topicProblem: (s) => queue.topicProblem(s),
    ...(o.logger ? { logger: o.logger } : {}),
    ...o.delivery,
  });
  const feed = new FeedConsumer({
    store: o.store,
    db: o.db,
    cursor,
    handler: {
      handle: (tx, changes) => queue.handle(tx, changes),
      prepare: () => queue.prepare(),
      onActive: async (active) => {
        if (active) delivery.start();
        else await delivery.stop();
      },
    },
    ...(o.lease ? { lease: o.lease } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
    label: 'subscription notifications',
    pollIntervalMs: o.pollMs ?? 200,
    idleWaitMs: () => (queue.watching > 0 && !o.onlyWriter ? (o.pollMs ?? 200) : (o.idlePollMs ?? 5000)),
    onBatch: (_consumed, effects) => {
      if (effects > 0 || queue.registryChanged) delivery.nudge();
      queue.committed();
    },
  }).start();
  // a write of a type no subscription watches wakes nothing: the feed reads it at its next poll (while nothing is
  // watched at all, every idleWaitMs), so writes cost the engine nothing while there is nothing to deliver
  const unlisten = o.writes?.listen((types) => {
    if (!types || types.some((t) => queue.wakesFor(t))) feed.nudge();
  });
  return {
    feed,
    list: () => listSubscriptions(o.db),
    lag: () => feed.lag(),
    async stop() {
      unlisten?.();
      await feed.stop();
      await delivery.stop();
    },
  };
}

/** The seq of the last change (0 when the log is empty). */
async function endOfLog(store: ResourceStore): Promise<number> {
  let seq = 0;
  for (;;) {
    const page = await store.changesAfter(seq, 50_000);
    const last = page[page.length - 1];
    if (!last) return seq;
    seq = last.seq;
  }
}

/** First start: the end of the log first, then every Subscription committed up to it, then the cursor row. */
async function importExisting(o: EngineOptions, cursor: SqlFeedCursor): Promise<void> {
  const end = await endOfLog(o.store);
  const existing: Subscription[] = [];
  let pageCursor: string | undefined;
  do {
    const page = await o.store.search({
      resourceTypes: ['Subscription'],
      conditions: [],
      sort: [],
      count: 500,
      total: 'none',
      ...(pageCursor ? { cursor: pageCursor } : {}),
    });
    for (const v of page.entries) if (v.resource) existing.push(v.resource as Subscription);
    pageCursor = page.nextCursor;
  } while (pageCursor);
  await o.db.transaction(async (tx) => {
    for (const s of existing) await upsertSubscription(tx, s, s.status ?? 'requested');
    await tx.query(
      `INSERT INTO ${CURSOR_TABLE.table} (${CURSOR_TABLE.key}, cursor_seq) VALUES (?, ?) ON CONFLICT DO NOTHING`,
      [cursor.name, end],
    );
  });
}
