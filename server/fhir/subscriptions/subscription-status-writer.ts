/**
 * The engine's writes of Subscription.status (requested → active, active → error with the reason, error → active on
 * recovery): a new version through the store, without the client write rules (the owner stamped by the client's
 * write is kept). A concurrent client write wins (VersionConflictError): the engine sees it in the log and decides
 * again.
 */
import type { Resource, Subscription } from '@medplum/fhirtypes';
import type { ResourceStore } from '../../store/resource-store.js';
import { VersionConflictError } from '../../store/resource-store.js';
import type { FhirServices } from '../fhir-context.js';
import { prepareVersion } from '../interactions/commit-version.js';

export type StatusWriter = (id: string, status: 'active' | 'error', error?: string) => Promise<void>;

export function subscriptionStatusWriter(
  store: ResourceStore,
  services: Pick<FhirServices, 'extractIndex' | 'now'>,
): StatusWriter {
  return async (id, status, error) => {
    const current = await store.read('Subscription', id);
    const resource = current?.resource as Subscription | null | undefined;
    if (!current || !resource || resource.status === 'off') return;
    if (resource.status === status && (resource.error ?? undefined) === error) return;
    const { error: _previous, ...rest } = resource;
    const next: Resource = { ...rest, status, ...(error ? { error } : {}) };
    try {
      await store.write([prepareVersion(services, 'Subscription', id, next, current.versionId)]);
    } catch (e) {
      if (!(e instanceof VersionConflictError)) throw e;
    }
  };
}
