/**
 * The FHIR layer's own request/response shapes: server/http translates express to and from these, so that
 * every interaction can be called (and tested) without HTTP.
 */
import type { Resource } from '@medplum/fhirtypes';

export type FhirRequest = {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the FHIR base, split on '/', without empty segments: ['Patient', '123', '_history', '2']. */
  segments: string[];
  /** Decoded query parameters in order (for POST _search: the form body pairs too). */
  params: Array<[string, string]>;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  /** Parsed JSON body, or undefined. */
  body?: unknown;
  /** Content type of the body without parameters (e.g. application/fhir+json, application/json-patch+json). */
  contentType?: string;
  /** A raw body of another media type (POST/PUT of Binary content), unread: the interaction streams it. */
  bodyStream?: AsyncIterable<Uint8Array>;
};

export type FhirResponse = {
  status: number;
  /** Body; absent for 204/304 and for Prefer: return=minimal. */
  resource?: Resource;
  /** A body that is not a FHIR resource (bulk-data manifests, ndjson files), sent as is. */
  raw?: { contentType: string; body: string | NodeJS.ReadableStream };
  headers?: Record<string, string>;
};

/** `Prefer: return=…` and `Prefer: handling=…`, read once from the headers. */
export type Preferences = {
  return: 'minimal' | 'representation' | 'OperationOutcome';
  /** Whether `return=` was given at all (bundles answer minimally unless asked). */
  explicitReturn: boolean;
  handling: 'strict' | 'lenient';
  respondAsync: boolean;
};

export function readPreferences(headers: Record<string, string | undefined>): Preferences {
  const prefer = (headers['prefer'] ?? '').split(/[,;]/).map((p) => p.trim());
  const value = (key: string) =>
    prefer
      .find((p) => p.startsWith(`${key}=`))
      ?.slice(key.length + 1)
      .replace(/"/g, '');
  const ret = value('return');
  return {
    return: ret === 'minimal' || ret === 'OperationOutcome' ? ret : 'representation',
    explicitReturn: ret !== undefined,
    handling: value('handling') === 'strict' ? 'strict' : 'lenient',
    respondAsync: prefer.includes('respond-async'),
  };
}

export function param(request: FhirRequest, name: string): string | undefined {
  return request.params.find(([k]) => k === name)?.[1];
}
