/**
 * batch Bundles: every entry is an independent request; each answers with its own status (and OperationOutcome on
 * failure) in a batch-response, whatever the others did. Entries run in bundle order: a run of consecutive plain
 * creates (batch-grouping.ts) together, in rounds of one lock and one commit (batch-creates.ts: each entry's outcome
 * is the one it would have had alone), every other entry one at a time through the router.
 */
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';
import type { FhirResponse } from '../fhir-request.js';
import { FhirError } from '../errors.js';
import { asFhirError, internalError } from '../known-errors.js';
import { routeFhirRequest, type RouterOptions } from '../router.js';
import { toEntryRequest, type EntryRequest } from './entry-request.js';
import { atEntry, errorEntryResponse, statusLine } from './entry-errors.js';
import { wantsRepresentation } from './transaction.js';
import { entryField } from './entry-field.js';
import { processCreateRun, type EntryOutcome } from './batch-creates.js';
import { isGroupableCreate } from './batch-grouping.js';
import { RequestLookups } from '../terminology/request-lookups.js';

export async function processBatch(ctx: FhirContext, bundle: Bundle, router: RouterOptions): Promise<FhirResponse> {
  const representation = wantsRepresentation(ctx);
  const lookups = new RequestLookups(); // the entries share their profile and terminology lookups
  const entryContext: FhirContext = {
    ...ctx,
    prefer: { ...ctx.prefer, return: representation ? 'representation' : 'minimal' },
    lookups,
  };
  const entries = bundle.entry ?? [];
  const outcomes = new Map<number, EntryOutcome>();
  const oneAtATime = async (request: EntryRequest): Promise<EntryOutcome> => {
    try {
      return { response: await atEntry(request, () => routeFhirRequest(entryContext, request, router)) };
    } catch (error) {
      return { error };
    }
  };
  let run: EntryRequest[] = [];
  const flush = async () => {
    if (run.length === 0) return;
    const done = run;
    run = [];
    for (const [index, outcome] of await processCreateRun(entryContext, done, oneAtATime)) outcomes.set(index, outcome);
  };
  for (const [index, entry] of entries.entries()) {
    let request: EntryRequest;
    try {
      request = toEntryRequest(entry, index, ctx.baseUrl);
      if (request.segments.length === 0) throw nestedBundle();
    } catch (error) {
      outcomes.set(index, { error }); // an entry that names no request does nothing: the run goes on past it
      continue;
    }
    if (isGroupableCreate(entryContext, request)) {
      run.push(request);
      continue;
    }
    await flush();
    outcomes.set(index, await oneAtATime(request));
    // what it wrote may be a profile or terminology the next entries are validated against
    if (request.method !== 'GET' && request.method !== 'HEAD') lookups.forget();
  }
  await flush();
  const out = entries.map((_, index) => toResponseEntry(ctx, outcomes.get(index)));
  return { status: 200, resource: { resourceType: 'Bundle', type: 'batch-response', ...entryField(out) } };
}

function nestedBundle(): FhirError {
  return new FhirError(400, {
    resourceType: 'OperationOutcome',
    issue: [
      { severity: 'error', code: 'not-supported', diagnostics: 'Nested batches and transactions are not allowed' },
    ],
  });
}

function toResponseEntry(ctx: FhirContext, outcome: EntryOutcome | undefined): BundleEntry {
  if (outcome && 'response' in outcome) {
    const result = outcome.response;
    const location = result.headers?.['Location'];
    return {
      ...(result.resource ? { resource: result.resource } : {}),
      response: {
        status: statusLine(result.status),
        ...(location
          ? { location: location.startsWith(ctx.baseUrl + '/') ? location.slice(ctx.baseUrl.length + 1) : location }
          : {}),
        ...(result.headers?.['ETag'] ? { etag: result.headers['ETag'] } : {}),
        ...(result.headers?.['Last-Modified']
          ? { lastModified: new Date(result.headers['Last-Modified']).toISOString() }
          : {}),
      },
    };
  }
  // Every entry gets its answer, whatever went wrong: the other entries are committed, and a whole-response 500
  // would make a client resend (and duplicate) them.
  const error = outcome?.error;
  const known = asFhirError(error);
  if (!known) ctx.reportError?.(error ?? new Error('a batch entry was left without an outcome'));
  return { response: errorEntryResponse(known ?? internalError(ctx.requestId)) };
}
