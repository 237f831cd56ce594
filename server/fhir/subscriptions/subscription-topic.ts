/**
 * SubscriptionTopics of the Subscriptions R5 Backport IG for R4: a `Basic` resource coded
 * `http://hl7.org/fhir/fhir-types|SubscriptionTopic` carrying the R5 SubscriptionTopic elements as cross-version
 * extensions (`http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.url`, `….resourceTrigger`,
 * `….canFilterBy`; the IG's examples mix the 4.3 and 5.0 prefixes, both are read). What this server evaluates:
 *
 * - resourceTrigger.resource (a type name or its StructureDefinition URL) and supportedInteraction (create, update,
 *   delete; none listed: all three);
 * - resourceTrigger.queryCriteria: `previous` and `current` search expressions on that type (the server's search
 *   semantics, judged on the version before and the version written), resultForCreate / resultForDelete (what the
 *   missing side counts as; default test-fails) and requireBoth (default: either test passing fires);
 * - resourceTrigger.fhirPathCriteria with %previous and %current (fhirpath.js), when there is no queryCriteria;
 * - canFilterBy (resource, filterParameter): the filter parameters a subscription may use (none listed: any).
 *
 * Not evaluated: eventTrigger (no business events here), notificationShape (include / revInclude: notifications
 * carry the focus only).
 */
import type { Basic, Extension, Resource } from '@medplum/fhirtypes';
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import { badRequest } from '../errors.js';
import { matchesCriteria, parseCriteria, type Criteria } from './subscription-criteria.js';

export const TOPIC_CODE = { system: 'http://hl7.org/fhir/fhir-types', code: 'SubscriptionTopic' } as const;

export type Interaction = 'create' | 'update' | 'delete';

export type TopicTrigger = {
  resourceType: string;
  /** Empty: every interaction. */
  interactions: ReadonlySet<Interaction>;
  previous?: Criteria;
  current?: Criteria;
  resultForCreate: boolean;
  resultForDelete: boolean;
  requireBoth: boolean;
  fhirPath?: string;
};

export type SubscriptionTopicDef = {
  url: string;
  basicId: string;
  triggers: TopicTrigger[];
  /** Allowed filters, `Type|param`; undefined when the topic lists none (any search parameter of the type). */
  canFilterBy?: ReadonlySet<string>;
};

/** Whether a Basic resource is coded as a SubscriptionTopic. */
export function isTopicResource(resource: Resource | undefined): resource is Basic {
  return (
    resource?.resourceType === 'Basic' &&
    (resource.code?.coding ?? []).some((c) => c.system === TOPIC_CODE.system && c.code === TOPIC_CODE.code)
  );
}

/** The topic a Basic defines; throws a 400 FhirError naming what cannot be evaluated. */
export function parseTopic(resource: Basic, resourceTypes: ReadonlySet<string>): SubscriptionTopicDef {
  const url = element(resource.extension, 'url')[0]?.valueUri;
  if (!url) throw badRequest('A SubscriptionTopic (Basic) needs the extension-SubscriptionTopic.url extension');
  const triggers = element(resource.extension, 'resourceTrigger').map((t) => parseTrigger(t, resourceTypes));
  if (triggers.length === 0) throw badRequest(`SubscriptionTopic ${url} has no resourceTrigger this server evaluates`);
  const filters = element(resource.extension, 'canFilterBy').flatMap((f) => {
    const type = typeName(part(f, 'resource')?.valueUri);
    const param = part(f, 'filterParameter')?.valueString;
    return param
      ? triggers.filter((t) => !type || t.resourceType === type).map((t) => `${t.resourceType}|${param}`)
      : [];
  });
  return { url, basicId: resource.id ?? '', triggers, ...(filters.length ? { canFilterBy: new Set(filters) } : {}) };
}

function parseTrigger(t: Extension, resourceTypes: ReadonlySet<string>): TopicTrigger {
  const resourceType = typeName(part(t, 'resource')?.valueUri);
  if (!resourceType || !resourceTypes.has(resourceType))
    throw badRequest(`SubscriptionTopic resourceTrigger.resource ${resourceType ?? '(missing)'} is not a known type`);
  const interactions = new Set<Interaction>();
  for (const i of parts(t, 'supportedInteraction')) {
    const code = i.valueCode;
    if (code !== 'create' && code !== 'update' && code !== 'delete')
      throw badRequest(`SubscriptionTopic supportedInteraction ${code} is not create, update or delete`);
    interactions.add(code);
  }
  const query = part(t, 'queryCriteria');
  const criteria = (name: string) => {
    const text = query && part(query, name)?.valueString;
    return text ? parseCriteria(`${resourceType}?${text.replace(/^\?/, '')}`, resourceTypes) : undefined;
  };
  const previous = criteria('previous');
  const current = criteria('current');
  const fhirPath = part(t, 'fhirPathCriteria')?.valueString;
  return {
    resourceType,
    interactions,
    ...(previous ? { previous } : {}),
    ...(current ? { current } : {}),
    resultForCreate: (query && part(query, 'resultForCreate')?.valueCode) === 'test-passes',
    resultForDelete: (query && part(query, 'resultForDelete')?.valueCode) === 'test-passes',
    requireBoth: (query && part(query, 'requireBoth')?.valueBoolean) === true,
    ...(fhirPath && !previous && !current ? { fhirPath } : {}),
  };
}

export type TriggerInput = { interaction: Interaction; previous?: Resource; current?: Resource; baseUrl: string };

/** Whether this change fires the trigger. */
export function triggerFires(t: TopicTrigger, c: TriggerInput): boolean {
  if (t.interactions.size > 0 && !t.interactions.has(c.interaction)) return false;
  if (t.fhirPath) return fhirPathFires(t.fhirPath, c);
  if (!t.previous && !t.current) return true;
  const test = (criteria: Criteria | undefined, resource: Resource | undefined, missing: boolean) =>
    criteria === undefined ? undefined : resource ? matchesCriteria(resource, criteria, c.baseUrl) : missing;
  const previous = test(t.previous, c.previous, t.resultForCreate);
  const current = test(t.current, c.current, t.resultForDelete);
  const results = [previous, current].filter((r): r is boolean => r !== undefined);
  return t.requireBoth ? results.every(Boolean) : results.some(Boolean);
}

function fhirPathFires(expression: string, c: TriggerInput): boolean {
  const root = c.current ?? c.previous ?? {};
  const env = { previous: c.previous ?? {}, current: c.current ?? {} };
  try {
    const result = fhirpath.evaluate(root, expression, env, r4) as unknown[];
    return result.length === 1 && result[0] === true;
  } catch {
    return false;
  }
}

/** Whether the topic's trigger types include `resourceType` (a change of it may concern the topic). */
export function topicWatches(topic: SubscriptionTopicDef, resourceType: string): boolean {
  return topic.triggers.some((t) => t.resourceType === resourceType);
}

const ELEMENT = /^http:\/\/hl7\.org\/fhir\/[0-9.]+\/StructureDefinition\/extension-SubscriptionTopic\.(.+)$/;

function element(extensions: Extension[] | undefined, name: string): Extension[] {
  return (extensions ?? []).filter((e) => ELEMENT.exec(e.url)?.[1] === name);
}

function parts(e: Extension, name: string): Extension[] {
  return (e.extension ?? []).filter((p) => p.url === name);
}

function part(e: Extension, name: string): Extension | undefined {
  return parts(e, name)[0];
}

/** `Encounter` or `http://hl7.org/fhir/StructureDefinition/Encounter` → `Encounter`. */
function typeName(uri: string | undefined): string | undefined {
  return uri?.split('/').pop() || undefined;
}
