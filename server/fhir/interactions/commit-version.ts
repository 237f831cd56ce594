/**
 * The one write path of the REST interactions: stamp server meta on a validated resource, extract its
 * index, and ask the store to commit it as version current+1 (compare-and-set).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { StoredVersion, VersionWrite } from '../../store/resource-store.js';
import type { FhirContext } from '../fhir-context.js';
import { stampMeta } from '../resource-meta.js';
import { contentRefOf } from '../binary/content-ref.js';
import { companionsOf } from '../binary/pending-content.js';
import { assertTopicsKnown } from '../subscriptions/subscription-topic-check.js';

/**
 * Builds the VersionWrite for `resource` (null = delete) as version `previousVersion + 1`. A Subscription written by
 * a caller (`access` present) first goes through the subscription write rules (owner, status, criteria checks).
 */
export function prepareVersion(
  ctx: Pick<FhirContext, 'extractIndex' | 'now'> & Partial<Pick<FhirContext, 'access' | 'subscriptions'>>,
  resourceType: string,
  id: string,
  resource: Resource | null,
  previousVersion: number,
  lastUpdated = ctx.now().toISOString(),
): VersionWrite {
  const versionId = previousVersion + 1;
  if (resource?.resourceType === 'Subscription' && ctx.access && ctx.subscriptions)
    resource = ctx.subscriptions.prepare(resource, ctx.access);
  const stamped = resource ? stampMeta(resource, id, versionId, lastUpdated) : null;
  const content = contentRefOf(stamped);
  return {
    resourceType,
    id,
    versionId,
    lastUpdated,
    resource: stamped,
    index: stamped ? ctx.extractIndex(stamped) : { entries: [], compartments: [] },
    ...(content ? { contentIds: [content.id] } : {}),
  };
}

export function asStored(write: VersionWrite): StoredVersion {
  return {
    resourceType: write.resourceType,
    id: write.id,
    versionId: write.versionId,
    lastUpdated: write.lastUpdated,
    deleted: write.resource === null,
    resource: write.resource,
  };
}

/**
 * The versions one write commits for `resource`: its own and, for a DocumentReference, its new Binaries
 * (binary/document-attachments.ts); a Subscription's topics checked.
 */
export async function prepareWrites(
  ctx: FhirContext,
  resourceType: string,
  id: string,
  resource: Resource | null,
  previousVersion: number,
): Promise<{ write: VersionWrite; companions: VersionWrite[] }> {
  const write = prepareVersion(ctx, resourceType, id, resource, previousVersion);
  const companions = companionsOf(resource).map((c) =>
    prepareVersion(ctx, c.resourceType, c.id!, c, 0, write.lastUpdated),
  );
  if (ctx.access && ctx.subscriptions) await assertTopicsKnown(ctx, [write]);
  return { write, companions };
}

/** Writes one version and returns it as stored. Throws VersionConflictError when someone wrote first. */
export async function commitVersion(
  ctx: FhirContext,
  resourceType: string,
  id: string,
  resource: Resource | null,
  previousVersion: number,
): Promise<StoredVersion> {
  const { write, companions } = await prepareWrites(ctx, resourceType, id, resource, previousVersion);
  await ctx.store.write([...companions, write]);
  return asStored(write);
}
