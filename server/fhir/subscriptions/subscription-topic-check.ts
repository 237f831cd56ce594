/**
 * A topic-based Subscription is refused when written (422) if the SubscriptionTopic it names is not known, or a
 * filter is one the topic does not allow: before, it was stored (201) and only turned `error` when the engine tried
 * to activate it. The topics judged are those stored (Basic coded SubscriptionTopic) as changed by the same write: a
 * transaction Bundle may create the topic in an entry after the Subscription's (or replace or delete one), and the
 * whole Bundle is one write. The engine still judges again at activation (topic-registry.ts: a topic deleted
 * meanwhile makes the subscription `error`).
 */
import type { Subscription } from '@medplum/fhirtypes';
import type { VersionWrite } from '../../store/resource-store.js';
import { issue, unprocessable } from '../errors.js';
import type { FhirContext } from '../fhir-context.js';
import { parseSubscription } from './subscription-model.js';
import { TopicRegistry } from './topic-registry.js';

export async function assertTopicsKnown(
  ctx: Pick<FhirContext, 'store' | 'resourceTypes' | 'baseUrl'>,
  writes: readonly VersionWrite[],
): Promise<void> {
  const subscriptions = writes.flatMap((w) => {
    const resource = w.resource as Subscription | null;
    return resource?.resourceType === 'Subscription' && /^(https?|urn):/i.test(resource.criteria?.trim() ?? '')
      ? [resource]
      : [];
  });
  if (subscriptions.length === 0) return;
  const topics = new TopicRegistry({ store: ctx.store, resourceTypes: ctx.resourceTypes, baseUrl: ctx.baseUrl });
  await topics.load();
  for (const w of writes) if (w.resourceType === 'Basic') topics.apply(w.id, w.resource ?? undefined);
  for (const resource of subscriptions) {
    const problem = topics.problemOf(parseSubscription(resource, ctx.resourceTypes));
    if (problem)
      throw unprocessable([
        issue('processing', `Subscription.criteria: ${problem}`, { expression: ['Subscription.criteria'] }),
      ]);
  }
}
