/**
 * HL7 v2 outbound delivery driven by the FHIR store's change log (transactional outbox): the planner is a handler
 * of the change-feed consumer (server/change-feed: cursor in hl7_outbound_state, loop, backoff, lag, lease), which
 * reads the changes after the cursor; the handler plans the ADT/ORU messages of each outbound endpoint
 * (interface_configs) and records them in the batch's transaction with the cursor; one sender loop per endpoint sends,
 * over one MLLP connection, the first unacknowledged message of each patient, waits for the ACK and records it.
 * AA/CA = delivered; anything else (AE/AR/CE/CR, timeout, refused connection) is retried with exponential backoff
 * (message_queue) until the endpoint's max_retries, then dead-lettered. A later message of a patient is never sent
 * before the earlier ones are acknowledged; other patients go on. Each message goes in its endpoint's character set
 * (outbound-charset.ts); one that set cannot carry is dead-lettered at once, saying which character of which field. All state is in nilecare_interop, so a restart
 * resumes where it stopped and never re-sends an acknowledged message. One node at a time runs the loops
 * (a MySQL named lock: the consumer's lease); the others wait to take over. With the embedded nilecare_interop
 * (no INTEROP_MYSQL_URL) the same runs on PgOutboundLog, with the lease its caller gives.
 */
import type { Logger } from 'pino';
import type { ResourceStore } from '../../../server/store/resource-store.js';
import { MysqlOutboundLog } from '../log/mysql-outbound-log.js';
import type { PgOutboundLog } from '../log/pg-outbound-log.js';
import type { FeedLease } from '../../../server/change-feed/lease.js';
import { MysqlNamedLock } from '../../../server/change-feed/mysql-named-lock.js';
import { loadOutboundEndpoints, type OutboundEndpoint } from '../log/mysql-interface-configs.js';
import { DELIVERED_ACK_CODES, type EndpointCounts, type RetryPolicy } from '../log/outbound-log.js';
import { OruBuilder } from './oru-builder.js';
import { planChanges } from './plan-changes.js';
import { EndpointLink } from './endpoint-link.js';
import { errorText, FeedConsumer } from '../../../server/change-feed/feed-consumer.js';
import { SqlFeedCursor, type FeedTx } from '../../../server/change-feed/feed-state.js';
import { backoffMs } from '../../../server/change-feed/backoff.js';
import { Wakeup } from '../../../server/change-feed/wakeup.js';
import type { ChangeRecord } from '../../../server/store/resource-store.js';
import { lastSeq } from './last-seq.js';
import { OutboundCharsetError, toWire, type WireMessage } from './outbound-charset.js';

/** The outbound log's operations the worker uses: MysqlOutboundLog or PgOutboundLog. */
type OutboundLogStore = Pick<
  MysqlOutboundLog,
  | 'feedDb'
  | 'recordPlanned'
  | 'heads'
  | 'markSent'
  | 'delivered'
  | 'failed'
  | 'retryDeadLetter'
  | 'discardDeadLetter'
  | 'counts'
  | 'close'
>;

export type OutboundWorkerOptions = {
  store: ResourceStore;
  /** nilecare_interop (migrated) on MySQL; or `embedded`. */
  mysqlUrl?: string;
  /** nilecare_interop in PostgreSQL dialect (server/hl7-wiring.ts when INTEROP_MYSQL_URL is not set). */
  embedded?: { log: PgOutboundLog; lease: FeedLease; endpoints: () => Promise<OutboundEndpoint[]> };
  logger?: Logger;
  /** Name of the cursor row and of the node lock. */
  name?: string;
  /** First start: `end` (default) begins after the last change already in the store, `start` sends the whole log. */
  startAt?: 'end' | 'start';
  batchSize?: number;
  pollIntervalMs?: number;
  /** How often interface_configs is read again (endpoints added, changed or switched off). */
  reloadEndpointsMs?: number;
  /** Upper bound of the backoff between two attempts. */
  maxBackoffMs?: number;
};

export type EndpointStatus = EndpointCounts & { name: string; host: string; port: number; lastError?: string };

export type OutboundStatus = {
  /** This node runs the loops (holds the lock); another node may be delivering otherwise. */
  active: boolean;
  /** Last change of the FHIR change log planned, and the messages recorded so far. */
  cursor: number;
  planned: number;
  /** Changes of the FHIR store not planned yet (capped at 1,000), and the age of the oldest, seconds. */
  lagChanges: number;
  lagSeconds: number;
  pending: number;
  retrying: number;
  dead: number;
  endpoints: EndpointStatus[];
  lastError?: string;
};

type Sender = {
  endpoint: OutboundEndpoint;
  link: EndpointLink;
  wake: Wakeup;
  done: Promise<void>;
  stop: AbortController;
  lastError?: string;
};

export class OutboundWorker {
  private readonly log: OutboundLogStore;
  private readonly lock: FeedLease;
  private readonly loadEndpoints: () => Promise<OutboundEndpoint[]>;
  private readonly name: string;
  private readonly oru = new OruBuilder();
  private readonly abort = new AbortController();
  private readonly feed: FeedConsumer;
  private readonly cursor: SqlFeedCursor;
  private readonly senders = new Map<string, Sender>();
  private endpoints: OutboundEndpoint[] = [];
  private endpointsLoadedAt = 0;
  /** Loops of senders replaced or removed, still finishing their current message. */
  private readonly retired: Promise<void>[] = [];

  constructor(private readonly o: OutboundWorkerOptions) {
    this.name = o.name ?? 'hl7-outbound';
    const { mysqlUrl, embedded } = o;
    if (embedded) {
      this.log = embedded.log;
      this.lock = embedded.lease;
      this.loadEndpoints = embedded.endpoints;
    } else if (mysqlUrl) {
      this.log = MysqlOutboundLog.open(mysqlUrl);
      this.lock = new MysqlNamedLock(mysqlUrl, this.name);
      this.loadEndpoints = () => loadOutboundEndpoints(mysqlUrl);
    } else throw new Error('OutboundWorker: mysqlUrl or embedded is required');
    this.cursor = new SqlFeedCursor({ table: 'hl7_outbound_state', key: 'name', count: 'planned' }, this.name, () =>
      this.firstCursor(),
    );
    this.feed = new FeedConsumer({
      store: o.store,
      db: this.log.feedDb(),
      cursor: this.cursor,
      lease: this.lock,
      ...(o.logger ? { logger: o.logger } : {}),
      label: 'HL7 outbound planning',
      ...(o.batchSize ? { batchSize: o.batchSize } : {}),
      ...(o.pollIntervalMs ? { pollIntervalMs: o.pollIntervalMs } : {}),
      // With no endpoint nothing is planned: the active node only passes the changes over, once per endpoint reload
      // (when an endpoint could appear; the console's reloadEndpoints wakes it at once) instead of a batch after
      // every write. A standby node keeps asking for the lease every poll.
      idleWaitMs: () =>
        this.feed.active && this.endpointsLoadedAt > 0 && this.endpoints.length === 0
          ? this.reloadEndpointsMs
          : (o.pollIntervalMs ?? 1000),
      handler: {
        prepare: () => this.refreshEndpoints(),
        handle: (tx, changes) => this.plan(tx, changes),
        onActive: (active) => (active ? undefined : this.standDown()),
      },
      onBatch: (_consumed, inserted) => {
        if (inserted > 0) for (const s of this.senders.values()) s.wake.wake();
      },
    });
  }

  /**
   * Creates the cursor of a worker that never ran (at the end of the change log, or its start with startAt 'start')
   * now rather than at the loops' first run: every change written once this resolved is planned. The server awaits it
   * before it reports ready; a no-op when the cursor exists.
   */
  async ready(): Promise<void> {
    await this.log.feedDb().transaction(async (tx) => void (await this.cursor.lock(tx)));
  }

  /** Starts the loops (returns at once; the cursor is created on the first run unless ready() made it). */
  start(): this {
    this.feed.start();
    return this;
  }

  /** Stops the loops, closes the connections and releases the lock; an unacknowledged message is sent again later. */
  async stop(): Promise<void> {
    this.abort.abort();
    // The senders stop before the lock is released (the consumer stands down first), so no other node sends
    // a message this one is still sending.
    await this.feed.stop();
    await this.standDown();
    await this.log.close();
  }

  /** Wakes the planner (tests, or after a write when the caller knows there is work). */
  nudge(): void {
    this.feed.nudge();
  }

  /**
   * interface_configs changed (an endpoint added, disabled or edited from the console): read it now rather than at
   * the next 30 s reload, so changes planned from here on go to the new set. On a node that does not hold the
   * delivery lock this only makes the reload due (the delivering node re-reads within reloadEndpointsMs).
   */
  async reloadEndpoints(): Promise<void> {
    this.endpointsLoadedAt = 0;
    if (this.feed.active && !this.abort.signal.aborted) await this.refreshEndpoints();
    this.feed.nudge();
  }

  /** This node no longer delivers (lost the lock, or stops): senders stop; endpoints are read again on take-over. */
  private async standDown(): Promise<void> {
    this.endpointsLoadedAt = 0;
    this.syncSenders([]);
    await Promise.all(this.retired);
  }

  private async firstCursor(): Promise<number> {
    const seq = this.o.startAt === 'start' ? 0 : await lastSeq(this.o.store);
    this.o.logger?.info({ cursor: seq }, 'HL7 outbound cursor created');
    return seq;
  }

  async retryDeadLetter(messageId: string): Promise<boolean> {
    const ok = await this.log.retryDeadLetter(messageId);
    for (const s of this.senders.values()) s.wake.wake();
    return ok;
  }

  async discardDeadLetter(messageId: string): Promise<boolean> {
    const ok = await this.log.discardDeadLetter(messageId);
    for (const s of this.senders.values()) s.wake.wake();
    return ok;
  }

  async status(): Promise<OutboundStatus> {
    const [lag, counts] = await Promise.all([this.feed.lag(), this.log.counts()]);
    const byId = new Map(counts.map((c) => [c.endpointId, c]));
    const endpoints = this.endpoints.map((e) => {
      const c = byId.get(e.id) ?? { endpointId: e.id, pending: 0, retrying: 0, dead: 0 };
      const lastError = this.senders.get(e.id)?.lastError;
      return { ...c, name: e.name, host: e.host, port: e.port, ...(lastError ? { lastError } : {}) };
    });
    const sum = (k: 'pending' | 'retrying' | 'dead') => counts.reduce((n, c) => n + c[k], 0);
    const lastError = this.feed.lastError;
    return {
      active: this.feed.active,
      cursor: lag.cursor,
      planned: lag.count,
      lagChanges: lag.lagChanges,
      lagSeconds: lag.lagSeconds,
      pending: sum('pending'),
      retrying: sum('retrying'),
      dead: sum('dead'),
      endpoints,
      ...(lastError ? { lastError } : {}),
    };
  }

  private get reloadEndpointsMs(): number {
    return this.o.reloadEndpointsMs ?? 30_000;
  }

  private async refreshEndpoints(): Promise<void> {
    const due = Date.now() - this.endpointsLoadedAt >= this.reloadEndpointsMs;
    if (!due && this.endpointsLoadedAt > 0) return;
    this.endpoints = await this.loadEndpoints();
    this.endpointsLoadedAt = Date.now();
    this.syncSenders(this.endpoints);
  }

  /** Plans one batch of changes inside the consumer's transaction; returns how many messages are new. */
  private async plan(tx: FeedTx, changes: readonly ChangeRecord[]): Promise<number> {
    const records = await planChanges(changes, this.endpoints, this.o.store, this.oru, (f) =>
      this.o.logger?.warn(
        {
          resource: `${f.change.resourceType}/${f.change.id}`,
          version: f.change.versionId,
          endpoint: f.endpoint,
          err: f.error,
        },
        'HL7 outbound: change skipped, no message could be built',
      ),
    );
    return this.log.recordPlanned(tx, records);
  }

  /** One sender per active endpoint: new ones start, removed or changed ones stop (their messages wait). */
  private syncSenders(endpoints: readonly OutboundEndpoint[]): void {
    const wanted = new Map(endpoints.map((e) => [e.id, e]));
    for (const [id, s] of this.senders) {
      const next = wanted.get(id);
      if (next && JSON.stringify(next) === JSON.stringify(s.endpoint)) continue;
      s.stop.abort();
      s.wake.wake();
      void s.link.close();
      this.retired.push(s.done);
      this.senders.delete(id);
    }
    if (this.abort.signal.aborted) return;
    for (const e of endpoints) {
      if (this.senders.has(e.id)) continue;
      const s: Sender = {
        endpoint: e,
        link: new EndpointLink(e),
        wake: new Wakeup(),
        stop: new AbortController(),
        done: Promise.resolve(),
      };
      s.done = this.sendLoop(s);
      this.senders.set(e.id, s);
    }
  }

  private policy(e: OutboundEndpoint): RetryPolicy {
    const base = Math.max(1, e.retryBackoffMs);
    return {
      maxAttempts: Math.max(1, e.maxRetries + 1),
      backoffMs: (attempt) => backoffMs(base, attempt, this.o.maxBackoffMs ?? 300_000),
    };
  }

  private async sendLoop(s: Sender): Promise<void> {
    const poll = this.o.pollIntervalMs ?? 1000;
    const policy = this.policy(s.endpoint);
    while (!s.stop.signal.aborted) {
      let sent = 0;
      try {
        if (this.feed.active) {
          for (const head of await this.log.heads(s.endpoint.id)) {
            if (s.stop.signal.aborted) break;
            let wire: WireMessage;
            try {
              wire = toWire(head.raw, s.endpoint.characterEncoding, `endpoint ${s.endpoint.name}`);
            } catch (e) {
              if (!(e instanceof OutboundCharsetError)) throw e;
              // Not sendable in the endpoint's character set: no retry can help until the endpoint changes.
              s.lastError = e.message;
              await this.log.failed(head, s.endpoint.id, { error: e.message }, { maxAttempts: 1, backoffMs: () => 0 });
              this.o.logger?.error(
                { endpoint: s.endpoint.name, message: head.id, err: e.message },
                'HL7 outbound message not sendable in the endpoint character set: dead-lettered',
              );
              sent++;
              continue;
            }
            const rewritten = wire.text !== head.raw;
            await this.log.markSent(
              head,
              s.link.peer,
              rewritten ? `in ${wire.msh18} (MSH-18 set to the endpoint's character set)` : undefined,
            );
            const result = await s.link.send(wire.bytes);
            if (result.ackCode && DELIVERED_ACK_CODES.has(result.ackCode)) {
              await this.log.delivered(head, result);
              s.lastError = undefined;
            } else {
              const { attempts, dead } = await this.log.failed(head, s.endpoint.id, result, policy);
              s.lastError = result.error ?? `${result.ackCode} from peer`;
              this.o.logger?.[dead ? 'error' : 'warn'](
                { endpoint: s.endpoint.name, message: head.id, attempts, dead, err: s.lastError },
                'HL7 outbound send failed',
              );
            }
            sent++;
          }
        }
      } catch (e) {
        s.lastError = errorText(e);
        this.o.logger?.error(
          { endpoint: s.endpoint.name, err: s.lastError },
          'HL7 outbound sender failed; backing off',
        );
      }
      if (sent > 0 && !s.stop.signal.aborted) continue;
      await s.wake.sleep(poll, s.stop.signal);
    }
  }
}
