/**
 * In-process FHIR calls for server components (the HL7 listener, projections, the console's admin API):
 * the same router, validation and access checks as HTTP, without HTTP. Errors are FhirErrors.
 */
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { AccessPolicy } from './access-policy.js';
import type { FhirContext, FhirServices, SearchResult } from './fhir-context.js';
import { readPreferences, type FhirRequest, type FhirResponse } from './fhir-request.js';
import { routeFhirRequest, type RouterOptions } from './router.js';
import { randomUUID } from 'node:crypto';

export type InternalFhirClient = {
  request(
    method: FhirRequest['method'],
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<FhirResponse>;
  /**
   * POST a transaction or batch Bundle; resolves with the response Bundle. Its entries carry the written resources
   * unless `return: 'minimal'` (then fullUrl, location, etag and lastModified only; GET entries keep their resources).
   * `unchangedWritesNothing`: a PUT entry equal to the current version writes no new version (FhirContext).
   */
  transaction(
    bundle: Bundle,
    options?: { return?: 'minimal' | 'representation'; unchangedWritesNothing?: boolean },
  ): Promise<Bundle>;
  read<T extends Resource = Resource>(resourceType: string, id: string): Promise<T>;
  /** The store-level search (stored versions + an opaque `nextCursor`), under this client's AccessPolicy. */
  search(
    resourceType: string,
    params: Array<[string, string]>,
    page?: { count?: number; cursor?: string },
  ): Promise<SearchResult>;
};

export function internalFhirClient(
  services: FhirServices,
  router: RouterOptions,
  access: AccessPolicy,
): InternalFhirClient {
  async function request(
    method: FhirRequest['method'],
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    extra: Pick<FhirContext, 'unchangedWritesNothing'> = {},
  ): Promise<FhirResponse> {
    const [pathPart, query = ''] = path.split('?', 2) as [string, string?];
    const lowered = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const fhirRequest: FhirRequest = {
      method,
      segments: pathPart.split('/').filter(Boolean),
      params: [...new URLSearchParams(query).entries()],
      headers: lowered,
      body,
      contentType: 'application/fhir+json',
    };
    const ctx: FhirContext = {
      ...services,
      access,
      prefer: readPreferences(lowered),
      requestId: randomUUID(),
      ...extra,
    };
    return routeFhirRequest(ctx, fhirRequest, router);
  }
  return {
    request,
    async transaction(bundle, options = {}) {
      const headers = { prefer: `return=${options.return ?? 'representation'}` };
      const extra = options.unchangedWritesNothing ? { unchangedWritesNothing: true } : {};
      return (await request('POST', '', bundle, headers, extra)).resource as Bundle;
    },
    async read<T extends Resource = Resource>(resourceType: string, id: string) {
      return (await request('GET', `${resourceType}/${id}`)).resource as T;
    },
    async search(resourceType, params, page = {}) {
      return services.search({
        store: services.store,
        resourceTypes: [resourceType],
        params,
        baseUrl: services.baseUrl,
        access,
        handling: 'strict',
        ...page,
      });
    },
  };
}
