/**
 * Observation/$lastn without HTTP: request parameters → the last `max` Observations of every group (lastn-groups.ts).
 * The search parameters are parsed exactly as a search's (parseSearch with the caller's AccessPolicy: the same
 * types check, compartment of a patient-context token and SMART constraints), the store answers the matches with
 * their subject/code/date index entries only (ResourceStore.searchEntries; a store may leave out the matches that
 * cannot be among the newest `max` of their code: NewestPerCode), and just the chosen Observations are read — unless
 * the store returned them with the matches (MatchEntries.version: PostgreSQL's walk of a plain subject query).
 */
import type { AccessPolicy } from '../access-policy.js';
import { badRequest, fhirError } from '../errors.js';
import {
  QueryTimeoutError,
  UnsupportedQueryError,
  type EntryParam,
  type ResourceStore,
  type StoredVersion,
} from '../../store/resource-store.js';
import { parseSearch } from '../search/parse-search.js';
import { lastnGroups, LASTN_PARAMS } from './lastn-groups.js';

/** Largest `max` accepted. */
export const MAX_LASTN = 100;
/** Matches one $lastn may group; beyond, the request is refused as too costly (narrow it by date or code). */
export const MAX_LASTN_MATCHES = 50_000;

export const ENTRY_PARAMS: EntryParam[] = [
  { param: LASTN_PARAMS.subject, kind: 'reference' },
  { param: LASTN_PARAMS.code, kind: 'token' },
  { param: LASTN_PARAMS.date, kind: 'date' },
];

/** Result parameters of a search that $lastn does not take (it returns whole groups, unpaged). */
const REFUSED = new Set(['_sort', '_count', '_cursor', '_total', '_include', '_revinclude', '_summary', '_elements']);

export type LastnArgs = {
  store: ResourceStore;
  /** Decoded query or form pairs, `max` among them. */
  params: Array<[string, string]>;
  baseUrl: string;
  access: AccessPolicy;
  handling?: 'strict' | 'lenient';
  timeoutMs?: number;
  now?: number;
};

export type LastnResult = { matches: StoredVersion[]; warnings: string[] };

export async function lastn(args: LastnArgs): Promise<LastnResult> {
  const max = parseMax(args.params);
  const params = args.params.filter(([name]) => name !== 'max');
  checkParams(params);
  const parsed = parseSearch(['Observation'], params, {
    handling: args.handling ?? 'strict',
    baseUrl: args.baseUrl,
    access: args.access,
    now: args.now ?? Date.now(),
  });
  const query = { ...parsed.query, ...(args.timeoutMs !== undefined ? { timeoutMs: args.timeoutMs } : {}) };
  let rows;
  try {
    rows = await args.store.searchEntries(query, ENTRY_PARAMS, MAX_LASTN_MATCHES + 1, {
      subject: LASTN_PARAMS.subject,
      code: LASTN_PARAMS.code,
      date: LASTN_PARAMS.date,
      max,
    });
  } catch (err) {
    if (err instanceof UnsupportedQueryError) throw badRequest(err.message);
    if (err instanceof QueryTimeoutError)
      throw fhirError(503, 'timeout', `$lastn needed more than its time budget of ${err.timeoutMs} ms: narrow it`);
    throw err;
  }
  if (rows.length > MAX_LASTN_MATCHES)
    throw fhirError(
      400,
      'too-costly',
      `$lastn matched more than ${MAX_LASTN_MATCHES} Observations: narrow it (date, code, category, one subject)`,
    );
  const keys = lastnGroups(rows, max).flatMap((g) => g.keys);
  const byKey = new Map<string, StoredVersion>();
  for (const row of rows) if (row.version) byKey.set(`${row.resourceType}/${row.id}`, row.version);
  const unread = keys.filter((k) => !byKey.has(k));
  const versions = unread.length
    ? await args.store.readMany(
        unread.map((k) => {
          const [resourceType, id] = k.split('/') as [string, string];
          return { resourceType, id };
        }),
      )
    : [];
  for (const v of versions) byKey.set(`${v.resourceType}/${v.id}`, v);
  return {
    // bodies the store read with the matches are of the matched versions; a match deleted before a second read
    // (readMany) is left out
    matches: keys.flatMap((k) => {
      const v = byKey.get(k);
      return v?.resource ? [v] : [];
    }),
    warnings: parsed.ignored.map((i) => `Parameter '${i.name}' was ignored: ${i.reason}`),
  };
}

function parseMax(params: Array<[string, string]>): number {
  const values = params.filter(([name]) => name === 'max').map(([, v]) => v);
  if (values.length === 0) return 1;
  if (values.length > 1) throw badRequest('max is given more than once', ['max']);
  const text = values[0]!.trim();
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) < 1)
    throw badRequest(`max must be a positive integer, got '${text.slice(0, 40)}'`, ['max']);
  const max = Number(text);
  if (max > MAX_LASTN) throw fhirError(400, 'too-costly', `max is at most ${MAX_LASTN} on this server`, ['max']);
  return max;
}

/**
 * The request SHALL name a subject (patient or subject) and a category and/or a code parameter (R4
 * operation-observation-lastn); result parameters of a search do not apply.
 */
function checkParams(params: Array<[string, string]>): void {
  const codes = params.map(([name]) => name.split(/[:.]/)[0]!);
  for (const code of codes)
    if (REFUSED.has(code)) throw badRequest(`${code} is not supported on $lastn (it returns whole groups)`, [code]);
  if (!codes.some((c) => c === 'patient' || c === 'subject'))
    throw badRequest('$lastn needs a subject: the patient or subject parameter', ['patient']);
  if (!codes.some((c) => c === 'category' || c === 'code' || c.startsWith('code-value-') || c === 'combo-code'))
    throw badRequest('$lastn needs a category and/or a code parameter', ['category']);
}
