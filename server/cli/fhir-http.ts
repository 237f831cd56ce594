import { stringifyJson } from '../json/stringify-json.js';

/** The importer's two requests to the server: POST a Bundle, and whether a resource exists (fetch, JSON). */
export type EntryResponse = { response?: { status?: string; message?: string } };
export type PostResult =
  { ok: true; status: number; body: { entry?: EntryResponse[] } } | { ok: false; status: number; message: string };

type Outcome = { issue?: Array<{ diagnostics?: string }> };
type RawEntry = { response?: { status?: string; outcome?: Outcome } };

export const okStatus = (status: string | undefined) => /^20[01]\b/.test(status ?? '');

export class FhirHttp {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  private headers(): Record<string, string> {
    return {
      'content-type': 'application/fhir+json',
      accept: 'application/fhir+json',
      prefer: 'return=minimal',
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
    };
  }

  /** Network failures throw (the import stops; its journal is intact); HTTP errors are results. */
  async post(bundle: unknown): Promise<PostResult> {
    const response = await fetch(this.baseUrl, {
      method: 'POST',
      headers: this.headers(),
      body: stringifyJson(bundle),
    });
    const body = (await response.json().catch(() => ({}))) as { entry?: RawEntry[] } & Outcome;
    if (!response.ok)
      return { ok: false, status: response.status, message: body.issue?.[0]?.diagnostics ?? 'request failed' };
    return {
      ok: true,
      status: response.status,
      body: {
        entry: (body.entry ?? []).map((e) => ({
          response: { status: e.response?.status, message: e.response?.outcome?.issue?.[0]?.diagnostics },
        })),
      },
    };
  }

  /**
   * Whether `Type/id` was ever written (a later delete counts: 410). A token that may not read says nothing
   * (401/403): false, and the Bundle is sent again — safe, its creates are PUTs with fixed ids.
   */
  async exists(reference: string): Promise<boolean> {
    const response = await fetch(`${this.baseUrl}/${reference}`, { headers: this.headers() });
    await response.body?.cancel();
    if (response.status === 200 || response.status === 410) return true;
    if ([401, 403, 404].includes(response.status)) return false;
    throw new Error(`GET ${reference}: ${response.status}`);
  }
}
