/** A Bundle entry's `request` as a FhirRequest the router (batch) or the transaction planner can act on. */
import type { BundleEntry } from '@medplum/fhirtypes';
import type { FhirRequest } from '../fhir-request.js';
import { badRequest } from '../errors.js';
import { parseJson } from '../../json/parse-json.js';
import { decodeJsonBytes } from '../../json/decode-json-bytes.js';

export type EntryRequest = FhirRequest & {
  /** Position in the submitted bundle. */
  index: number;
  /** `Type`, `Type/id`, … split; the query part is in params. */
  resourceType?: string;
  id?: string;
  /** True when the URL carries search criteria (conditional update/delete). */
  conditional: boolean;
  fullUrl?: string;
};

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

export function toEntryRequest(entry: BundleEntry, index: number, baseUrl: string): EntryRequest {
  const request = entry.request;
  if (!request?.method || !request.url) {
    throw badRequest(`Bundle.entry[${index}] has no request.method and request.url`, [
      `Bundle.entry[${index}].request`,
    ]);
  }
  const method = request.method.toUpperCase();
  if (!METHODS.has(method))
    throw badRequest(`Bundle.entry[${index}].request.method ${method} is not supported`, [
      `Bundle.entry[${index}].request.method`,
    ]);
  let url = request.url.trim();
  if (url.startsWith(baseUrl + '/')) url = url.slice(baseUrl.length + 1);
  else if (/^https?:\/\//.test(url))
    throw badRequest(`Bundle.entry[${index}].request.url must be relative to this server`, [
      `Bundle.entry[${index}].request.url`,
    ]);
  url = url.replace(/^\/+/, '');
  const queryStart = url.indexOf('?');
  const path = queryStart >= 0 ? url.slice(0, queryStart) : url;
  const query = queryStart >= 0 ? url.slice(queryStart + 1) : '';
  const segments = path
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
  const headers: Record<string, string | undefined> = {
    'if-match': request.ifMatch,
    'if-none-match': request.ifNoneMatch,
    'if-none-exist': request.ifNoneExist,
    'if-modified-since': request.ifModifiedSince,
  };
  const isPatchBinary = method === 'PATCH' && entry.resource?.resourceType === 'Binary';
  let body: unknown = entry.resource;
  let contentType = 'application/fhir+json';
  if (isPatchBinary) {
    // JSON Patch travels in a Binary (FHIR R4 transaction rules).
    const data = (entry.resource as { data?: string }).data;
    body = data ? parseJson(decodeJsonBytes(Buffer.from(data, 'base64'))) : undefined; // strict, as a request body
    contentType = 'application/json-patch+json';
  }
  return {
    index,
    method: method as FhirRequest['method'],
    segments,
    params: [...new URLSearchParams(query).entries()],
    headers,
    body,
    contentType,
    resourceType: segments[0],
    id: segments[1],
    conditional: query.length > 0 && segments.length === 1,
    fullUrl: entry.fullUrl,
  };
}
