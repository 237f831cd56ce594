/**
 * The SubscriptionTopics the engine knows (Basic resources coded SubscriptionTopic, subscription-topic.ts), by
 * canonical URL: loaded from the store when the queue (re)loads its registry, and kept at the feed's place in the log
 * as Basic resources change. Judges whether a topic-based subscription can be served (`problemOf`) and whether a
 * change is an event for it (`matches`).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Logger } from 'pino';
import type { ResourceStore } from '../../store/resource-store.js';
import { parseSearch } from '../search/parse-search.js';
import { matchesCriteria } from './subscription-criteria.js';
import type { ParsedSubscription, TopicFilter } from './subscription-model.js';
import {
  isTopicResource,
  parseTopic,
  TOPIC_CODE,
  triggerFires,
  type SubscriptionTopicDef,
  type TriggerInput,
} from './subscription-topic.js';

export class TopicRegistry {
  private byUrl = new Map<string, SubscriptionTopicDef>();
  /** Basic id → url of the topic it defined (a Basic edited to another url or deleted drops its old topic). */
  private urlOfBasic = new Map<string, string>();

  constructor(
    private readonly o: { store: ResourceStore; resourceTypes: ReadonlySet<string>; baseUrl: string; logger?: Logger },
  ) {}

  get size(): number {
    return this.byUrl.size;
  }

  get(url: string): SubscriptionTopicDef | undefined {
    return this.byUrl.get(url);
  }

  async load(): Promise<void> {
    this.byUrl.clear();
    this.urlOfBasic.clear();
    const conditions = parseSearch(['Basic'], [['code', `${TOPIC_CODE.system}|${TOPIC_CODE.code}`]], {
      handling: 'strict',
      baseUrl: this.o.baseUrl,
    }).query.conditions;
    let cursor: string | undefined;
    do {
      const page = await this.o.store.search({
        resourceTypes: ['Basic'],
        conditions,
        sort: [],
        count: 500,
        total: 'none',
        ...(cursor ? { cursor } : {}),
      });
      for (const v of page.entries) this.apply(v.id, v.resource ?? undefined);
      cursor = page.nextCursor;
    } while (cursor);
  }

  /** A Basic's version (undefined: deleted) at its place in the log; true when the topics changed. */
  apply(basicId: string, resource: Resource | undefined): boolean {
    const before = this.urlOfBasic.get(basicId);
    if (before) {
      this.byUrl.delete(before);
      this.urlOfBasic.delete(basicId);
    }
    if (!isTopicResource(resource)) return before !== undefined;
    try {
      const topic = parseTopic(resource, this.o.resourceTypes);
      this.byUrl.set(topic.url, topic);
      this.urlOfBasic.set(basicId, topic.url);
    } catch (error) {
      this.o.logger?.warn({ basic: basicId, err: (error as Error).message }, 'SubscriptionTopic not usable');
    }
    return true;
  }

  /** Why the topic-based subscription cannot be served (unknown topic, a filter the topic does not allow), or undefined. */
  problemOf(s: ParsedSubscription): string | undefined {
    if (!s.topic) return undefined;
    const topic = this.byUrl.get(s.topic.url);
    if (!topic) return `SubscriptionTopic ${s.topic.url} is not known to this server`;
    const types = new Set(topic.triggers.map((t) => t.resourceType));
    for (const f of s.topic.filters) {
      const applies = f.resourceType ? [f.resourceType] : [...types];
      if (f.resourceType && !types.has(f.resourceType))
        return `filter ${f.text}: the topic ${topic.url} has no trigger on ${f.resourceType}`;
      for (const type of applies)
        for (const [name] of f.params) {
          const param = name.split(':')[0] as string;
          if (topic.canFilterBy && !topic.canFilterBy.has(`${type}|${param}`))
            return `filter ${f.text}: the topic ${topic.url} does not allow filtering ${type} by ${param}`;
          try {
            matchesCriteria({ resourceType: type, id: 'filter-check' } as Resource, {
              resourceType: type,
              params: f.params,
            });
          } catch (error) {
            return `filter ${f.text}: ${(error as Error).message}`;
          }
        }
    }
    return undefined;
  }

  /** Whether this change of `resourceType` is an event of the topic-based subscription `s`. */
  matches(s: ParsedSubscription, resourceType: string, input: TriggerInput): boolean {
    const topic = s.topic && this.byUrl.get(s.topic.url);
    if (!topic) return false;
    const fired = topic.triggers.some((t) => t.resourceType === resourceType && triggerFires(t, input));
    if (!fired) return false;
    const subject = input.current ?? input.previous;
    if (!subject) return false;
    return (s.topic?.filters ?? []).every((f) => !appliesTo(f, resourceType) || passes(f, subject, input.baseUrl));
  }

  /** Trigger types of the topics, and whether any trigger needs the version before an update. */
  watchedTypes(): Map<string, { needsPrevious: boolean }> {
    const out = new Map<string, { needsPrevious: boolean }>();
    for (const topic of this.byUrl.values())
      for (const t of topic.triggers) {
        const needs = t.previous !== undefined || t.fhirPath !== undefined;
        out.set(t.resourceType, { needsPrevious: (out.get(t.resourceType)?.needsPrevious ?? false) || needs });
      }
    return out;
  }
}

function appliesTo(f: TopicFilter, resourceType: string): boolean {
  return f.resourceType === undefined || f.resourceType === resourceType;
}

function passes(f: TopicFilter, resource: Resource, baseUrl: string): boolean {
  try {
    return matchesCriteria(resource, { resourceType: resource.resourceType, params: f.params }, baseUrl);
  } catch {
    return false;
  }
}
