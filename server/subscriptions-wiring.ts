/**
 * Starts FHIR Subscriptions with the app (NILECARE_SUBSCRIPTIONS=on, the default): the delivery bookkeeping in the
 * schema nilecare_subscriptions beside the FHIR data (server/state), a PostgreSQL advisory lease when the store is a
 * PostgreSQL server (one node delivers; PGlite and the Mongo store's embedded state are one process anyway), and
 * the websocket fan-out through Redis pub/sub when REDIS_URL is set, else in this process.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { FeedDb, FeedTx } from './change-feed/feed-state.js';
import { PgAdvisoryLease } from './change-feed/pg-advisory-lease.js';
import type { WriteSignal } from './change-feed/write-signal.js';
import type { StateDb, StateExecutor } from './state/state-db.js';
import type { ServerState } from './state/open-state.js';
import type { ResourceStore } from './store/resource-store.js';
import type { FhirServices } from './fhir/fhir-context.js';
import { startSubscriptionEngine, type SubscriptionEngine } from './fhir/subscriptions/subscription-engine.js';
import { inProcessFanout, redisFanout, type NotificationFanout } from './fhir/subscriptions/notification-fanout.js';
import { WebsocketHub } from './fhir/subscriptions/websocket-hub.js';
import { redeemBindingToken } from './fhir/subscriptions/binding-tokens.js';
import { readSubscriptionRow } from './fhir/subscriptions/notification-tables.js';
import { statusOnlyBundle } from './fhir/subscriptions/notification-sender.js';
import { parseSubscription } from './fhir/subscriptions/subscription-model.js';
import type { AccessPolicy } from './fhir/access-policy.js';
import type { Subscription } from '@medplum/fhirtypes';

export type RunningSubscriptions = {
  engine: SubscriptionEngine;
  fanout: NotificationFanout;
  /** The delivery bookkeeping (notification state and event log: $status, $events). */
  db: FeedDb;
  /** Websocket clients of this node (attach it to the HTTP server). */
  hub: WebsocketHub;
  stop(): Promise<void>;
};

export async function startConfiguredSubscriptions(
  config: Config,
  store: ResourceStore,
  services: FhirServices,
  state: ServerState,
  logger: Logger,
  writes: WriteSignal,
  authenticate: (authorization: string | undefined) => Promise<AccessPolicy>,
): Promise<RunningSubscriptions | undefined> {
  if (!config.subscriptions.enabled) return undefined;
  const db = feedDbOf(await state.subscriptionsDb());
  const fanout = config.auth.redisUrl ? redisFanout(config.auth.redisUrl) : inProcessFanout();
  const lease =
    config.store.kind === 'postgres' ? new PgAdvisoryLease(config.store.url, 'nilecare-subscriptions') : undefined;
  const engine = await startSubscriptionEngine({
    store,
    services,
    db,
    fanout,
    ...(lease ? { lease } : {}),
    logger,
    pollMs: config.subscriptions.pollMs,
    writes,
    // PGlite is this process's alone: every write wakes the feed, no poll for other nodes' writes is needed
    onlyWriter: config.store.kind === 'pglite',
    delivery: {
      retryBaseMs: config.subscriptions.retryBaseMs,
      retentionSeconds: config.subscriptions.eventsRetentionSeconds,
    },
  });
  const hub = new WebsocketHub({
    fanout,
    authenticate,
    loadSubscription: async (id) => {
      const current = await store.read('Subscription', id);
      return (current?.resource ?? undefined) as Subscription | undefined;
    },
    redeemToken: (token) => redeemBindingToken(db, token),
    // the status and event count as the delivery knows them (as the resource says before the feed has seen it)
    handshake: async (subscription) => {
      try {
        const parsed = parseSubscription(subscription, services.resourceTypes);
        const row = await readSubscriptionRow(db, parsed.id);
        const status = row?.status ?? subscription.status ?? 'requested';
        return JSON.stringify(
          statusOnlyBundle(services.baseUrl, parsed, { status }, 'handshake', row?.eventsQueued ?? 0),
        );
      } catch (error) {
        logger.warn({ subscription: subscription.id, err: (error as Error).message }, 'no websocket handshake');
        return undefined;
      }
    },
  });
  logger.info({ websocketFanout: fanout.description }, 'subscription notifications running');
  return {
    engine,
    db,
    fanout,
    hub,
    async stop() {
      await engine.stop();
      await hub.close();
      await fanout.close();
    },
  };
}

/** The state database seen as a change-feed database (rows only). */
export function feedDbOf(db: StateDb): FeedDb {
  const tx = (e: StateExecutor): FeedTx => ({
    dialect: db.dialect,
    query: async <T>(sql: string, params: unknown[] = []) => (await e.query(sql, params)).rows as T[],
  });
  return { ...tx(db), transaction: (fn) => db.transaction((e) => fn(tx(e))) };
}
