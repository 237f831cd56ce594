/** Server-managed meta (versionId, lastUpdated) and the HTTP validators derived from it. */
import type { Resource } from '@medplum/fhirtypes';
import type { StoredVersion } from '../store/resource-store.js';

/** A copy of the resource with id and server-managed meta set; resourceType, id and meta come first. */
export function stampMeta<T extends Resource>(resource: T, id: string, versionId: number, lastUpdated: string): T {
  const { resourceType, id: _oldId, meta, ...rest } = resource as T & { meta?: Resource['meta'] };
  return {
    resourceType,
    id,
    meta: { ...meta, versionId: String(versionId), lastUpdated },
    ...rest,
  } as unknown as T;
}

export function etagOf(versionId: number): string {
  return `W/"${versionId}"`;
}

/** `W/"3"`, `"3"` or `3` → 3; undefined when it is not a version tag. */
export function parseEtag(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const m = /^(?:W\/)?"?(\d+)"?$/.exec(value.trim());
  return m ? Number(m[1]) : undefined;
}

export function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}

export function versionUrl(baseUrl: string, v: { resourceType: string; id: string; versionId: number }): string {
  return `${baseUrl}/${v.resourceType}/${v.id}/_history/${v.versionId}`;
}

/** ETag, Last-Modified and Location headers for a stored version. */
export function versionHeaders(baseUrl: string, v: StoredVersion, withLocation: boolean): Record<string, string> {
  return {
    ETag: etagOf(v.versionId),
    'Last-Modified': httpDate(v.lastUpdated),
    ...(withLocation ? { Location: versionUrl(baseUrl, v) } : {}),
  };
}
