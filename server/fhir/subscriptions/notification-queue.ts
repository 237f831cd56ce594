/**
 * The FeedHandler of subscriptions: for each change of the FHIR store's log, in order, the subscriptions whose
 * criteria match the changed resource (the version before a delete, for deletes) and whose owner may read it get
 * the next event number and a queued event, in the batch's transaction. Subscription changes themselves update the
 * registry (notification_subscriptions) at their place in the log, so a batch sees exactly the subscriptions that
 * existed when each change was committed; so do SubscriptionTopics (Basic, topic-registry.ts). Topic-based
 * subscriptions are judged by their topic's triggers (interaction, previous/current criteria) and their filters.
 */
import type { Resource, Subscription } from '@medplum/fhirtypes';
import type { Logger } from 'pino';
import type { FeedHandler } from '../../change-feed/feed-consumer.js';
import type { FeedDb, FeedTx } from '../../change-feed/feed-state.js';
import type { ChangeRecord, ResourceStore } from '../../store/resource-store.js';
import { readableResources } from '../access/read-access.js';
import { parseSubscription, type ParsedSubscription } from './subscription-model.js';
import { CriteriaIndex } from './criteria-index.js';
import { TopicRegistry } from './topic-registry.js';
import type { Interaction } from './subscription-topic.js';
import { ownerPolicy } from './subscription-owner.js';
import {
  listSubscriptions,
  queueEvents,
  removeSubscription,
  upsertSubscription,
  type EventRow,
} from './notification-tables.js';

export type QueueOptions = {
  store: ResourceStore;
  db: FeedDb;
  resourceTypes: ReadonlySet<string>;
  compartmentsOf: (resource: Resource) => string[];
  baseUrl: string;
  logger?: Logger;
};

export class NotificationQueue implements FeedHandler {
  private byId = new Map<string, ParsedSubscription>();
  private index?: CriteriaIndex<ParsedSubscription>;
  /** Topic-based subscriptions whose topic is known and whose filters it allows, by id; kept with the index. */
  private topicSubs = new Map<string, ParsedSubscription>();
  private topicTypes?: Map<string, { needsPrevious: boolean }>;
  readonly topics: TopicRegistry;
  /** Events of the batch in hand, queued in one go at its end (numbers given in order per subscription). */
  private pending: Array<Omit<EventRow, 'eventNumber'>> = [];
  /** The registry in memory may be ahead of the database (a batch rolled back): reloaded before the next batch. */
  private dirty = true;

  constructor(private readonly o: QueueOptions) {
    this.topics = new TopicRegistry({
      store: o.store,
      resourceTypes: o.resourceTypes,
      baseUrl: o.baseUrl,
      ...(o.logger ? { logger: o.logger } : {}),
    });
  }

  /** Why a topic-based subscription cannot be served (the delivery refuses to activate it), or undefined. */
  topicProblem(s: ParsedSubscription): string | undefined {
    return this.topics.problemOf(s);
  }

  async prepare(): Promise<void> {
    if (!this.dirty) return;
    const next = new Map<string, ParsedSubscription>();
    for (const row of await listSubscriptions(this.o.db)) {
      const parsed = this.parse(row.resource);
      if (parsed && parsed.status !== 'off') next.set(row.id, parsed);
    }
    this.byId = next;
    await this.topics.load();
    this.index = undefined;
    this.dirty = false;
  }

  /** After a committed batch (FeedConsumer onBatch): the memory matches the database again. */
  committed(): void {
    this.dirty = false;
    this.registryChanged = false;
  }

  /** A Subscription was written in the batch being committed (the delivery loop has one to activate or drop). */
  registryChanged = false;

  /**
   * Whether a write of `resourceType` should wake the feed at once: a Subscription or a possible SubscriptionTopic
   * (Basic) changes the registry; any other type only when some subscription watches it.
   */
  wakesFor(resourceType: string): boolean {
    if (resourceType === 'Subscription' || resourceType === 'Basic') return true;
    if (this.byId.size === 0) return false;
    return this.criteriaIndex().has(resourceType) || (this.topicTypes?.has(resourceType) ?? false);
  }

  /** Subscriptions that may get events now (the feed idles when there are none). */
  get watching(): number {
    return this.byId.size;
  }

  async handle(tx: FeedTx, changes: readonly ChangeRecord[]): Promise<number> {
    this.dirty = true;
    this.pending = [];
    await this.prefetch(changes);
    let queued = 0;
    for (const change of changes) {
      if (change.resourceType === 'Subscription') {
        // events before a subscription's own change are queued first: its registry row is as of that change
        await queueEvents(tx, this.pending.splice(0));
        await this.applySubscription(tx, change);
      } else if (change.resourceType === 'Basic' && this.applyTopic(await this.versionOf(change))) {
        this.index = undefined;
        this.registryChanged = true;
      }
      queued += await this.queueFor(tx, change);
    }
    await queueEvents(tx, this.pending.splice(0));
    return queued;
  }

  private async applySubscription(tx: FeedTx, change: ChangeRecord): Promise<void> {
    this.registryChanged = true;
    const version = change.deleted ? undefined : await this.o.store.vread('Subscription', change.id, change.versionId);
    const resource = version?.resource as Subscription | undefined;
    if (!resource) {
      this.byId.delete(change.id);
      this.reindex(change.id, undefined);
      await removeSubscription(tx, change.id);
      return;
    }
    const parsed = this.parse(resource);
    const watching = parsed && parsed.status !== 'off' ? parsed : undefined;
    if (watching) this.byId.set(change.id, watching);
    else this.byId.delete(change.id);
    this.reindex(change.id, watching);
    await upsertSubscription(tx, resource, parsed ? (resource.status ?? 'requested') : 'error');
  }

  /** The index after one subscription changed: its old entries out, its new ones in (when it still watches). */
  private reindex(id: string, s: ParsedSubscription | undefined): void {
    const index = this.index;
    if (!index) return; // built from byId when next needed
    index.remove(id);
    this.topicSubs.delete(id);
    if (s) this.place(index, s);
    this.topicTypes = this.topicSubs.size > 0 ? this.topics.watchedTypes() : new Map();
  }

  private place(index: CriteriaIndex<ParsedSubscription>, s: ParsedSubscription): void {
    if (s.criteria) index.add(s.id, s, s.criteria);
    else if (s.topic && this.topics.problemOf(s) === undefined) this.topicSubs.set(s.id, s);
  }

  private async versionOf(change: ChangeRecord): Promise<{ id: string; resource: Resource | undefined }> {
    const version = change.deleted
      ? undefined
      : await this.o.store.vread(change.resourceType, change.id, change.versionId);
    return { id: change.id, resource: version?.resource ?? undefined };
  }

  private applyTopic(v: { id: string; resource: Resource | undefined }): boolean {
    return this.topics.apply(v.id, v.resource);
  }

  private parse(resource: Subscription): ParsedSubscription | undefined {
    try {
      return parseSubscription(resource, this.o.resourceTypes);
    } catch (error) {
      this.o.logger?.warn({ subscription: resource.id, err: (error as Error).message }, 'subscription not usable');
      return undefined;
    }
  }

  private async queueFor(tx: FeedTx, change: ChangeRecord): Promise<number> {
    const index = this.criteriaIndex();
    const topicWatch = this.topicTypes?.get(change.resourceType);
    if (!index.has(change.resourceType) && !topicWatch) return 0;
    const content = await this.contentOf(change);
    if (!content) return 0;
    const candidates = index.matching(content);
    if (topicWatch) candidates.push(...(await this.topicMatches(change, content, topicWatch.needsPrevious)));
    let queued = 0;
    for (const s of candidates) {
      if (s.status === 'off' || expired(s, change)) continue;
      if (!(await this.ownerMayRead(s, content))) continue;
      this.pending.push({
        subscriptionId: s.id,
        changeSeq: change.seq,
        resourceType: change.resourceType,
        resourceId: change.id,
        versionId: change.versionId,
        deleted: change.deleted,
        occurredAt: change.lastUpdated,
      });
      queued++;
    }
    return queued;
  }

  /** Topic-based subscriptions for which this change is an event. */
  private async topicMatches(change: ChangeRecord, content: Resource, needsPrevious: boolean) {
    let interaction: Interaction = change.deleted ? 'delete' : change.versionId === 1 ? 'create' : 'update';
    let previous: Resource | undefined = change.deleted ? content : undefined;
    if (interaction === 'update' && needsPrevious) {
      previous =
        (await this.o.store.vread(change.resourceType, change.id, change.versionId - 1))?.resource ?? undefined;
      if (!previous) interaction = 'create'; // written again after a delete
    }
    const input = {
      interaction,
      ...(previous ? { previous } : {}),
      ...(change.deleted ? {} : { current: content }),
      baseUrl: this.o.baseUrl,
    };
    return [...this.topicSubs.values()].filter((s) => this.topics.matches(s, change.resourceType, input));
  }

  /**
   * The active subscriptions indexed by what they watch: built from the registry when absent (at start, after a
   * rolled-back batch, after a topic changed), else kept up to date one Subscription change at a time (`reindex`).
   */
  private criteriaIndex(): CriteriaIndex<ParsedSubscription> {
    if (this.index) return this.index;
    const index = new CriteriaIndex<ParsedSubscription>(this.o.baseUrl);
    this.topicSubs = new Map();
    for (const s of this.byId.values()) this.place(index, s);
    this.topicTypes = this.topicSubs.size > 0 ? this.topics.watchedTypes() : new Map();
    return (this.index = index);
  }

  /** Current versions of the batch's watched, written resources, read in one go (`contentOf` checks the version). */
  private prefetched = new Map<string, { versionId: number; resource: Resource | null }>();

  private async prefetch(changes: readonly ChangeRecord[]): Promise<void> {
    this.prefetched.clear();
    const index = this.criteriaIndex();
    const keys = changes
      .filter((c) => !c.deleted && (index.has(c.resourceType) || this.topicTypes?.has(c.resourceType)))
      .map((c) => ({ resourceType: c.resourceType, id: c.id }));
    if (keys.length < 2) return;
    for (const v of await this.o.store.readCurrentMany(keys))
      this.prefetched.set(`${v.resourceType}/${v.id}`, { versionId: v.versionId, resource: v.resource });
  }

  /** The version written, or for a delete the version before it (what the criteria and the owner judge). */
  private async contentOf(change: ChangeRecord): Promise<Resource | undefined> {
    const version = change.deleted ? change.versionId - 1 : change.versionId;
    if (version < 1) return undefined;
    const current = this.prefetched.get(`${change.resourceType}/${change.id}`);
    if (current?.versionId === version && current.resource) return current.resource;
    return (await this.o.store.vread(change.resourceType, change.id, version))?.resource ?? undefined;
  }

  private async ownerMayRead(s: ParsedSubscription, resource: Resource): Promise<boolean> {
    if (!s.owner) return false; // written without the server's rules: delivers nothing
    const ctx = {
      access: ownerPolicy(s.owner),
      store: this.o.store,
      compartmentsOf: this.o.compartmentsOf,
      baseUrl: this.o.baseUrl,
    };
    return (await readableResources(ctx, [resource])).length === 1;
  }
}

function expired(s: ParsedSubscription, change: ChangeRecord): boolean {
  return s.end !== undefined && Date.parse(s.end) < Date.parse(change.lastUpdated);
}
