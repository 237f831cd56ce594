/**
 * A person at a browser, for tests: follows redirects with a cookie jar, fills in the login and consent
 * forms the server renders, and returns where the server finally sends the browser (the app's redirect URI).
 */
import { createHash, randomBytes } from 'node:crypto';

export class Browser {
  private readonly cookies = new Map<string, string>();

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string | string[]> } = {},
  ): Promise<Response> {
    let body: string | undefined;
    if (init.form) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(init.form)) for (const x of ([] as string[]).concat(v)) p.append(k, x);
      body = p.toString();
    }
    const res = await fetch(url, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        cookie: this.cookieHeader(),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body ? { body } : {}),
    });
    this.keep(res);
    return res;
  }

  /** Follows redirects until a page is shown or the browser leaves for `stopAt`. */
  async follow(
    url: string,
    stopAt: string,
    init: { method?: string; form?: Record<string, string | string[]> } = {},
  ): Promise<{ url: string; res?: Response; html?: string }> {
    let res = await this.request(url, init);
    let current = url;
    for (let i = 0; i < 10; i++) {
      const loc = res.headers.get('location');
      if (!loc || res.status < 300 || res.status >= 400) break;
      current = new URL(loc, current).toString();
      if (current.startsWith(stopAt)) return { url: current };
      res = await this.request(current);
    }
    return { url: current, res, html: await res.text() };
  }
}

export function decodeEntities(s: string): string {
  return s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
}

export const formAction = (html: string) =>
  decodeEntities(/<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '');
export const offeredScopes = (html: string) =>
  [...html.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => decodeEntities(m[1]!));

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthorizeInput {
  base: string;
  fhirBase: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  launch?: string;
  challenge: string;
  extra?: Record<string, string>;
}

export function authorizeUrl(i: AuthorizeInput): string {
  const u = new URL(`${i.base}/auth/authorize`);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: i.clientId,
    redirect_uri: i.redirectUri,
    scope: i.scope,
    state: randomBytes(8).toString('hex'),
    aud: i.fhirBase,
    code_challenge: i.challenge,
    code_challenge_method: 'S256',
    ...(i.launch ? { launch: i.launch } : {}),
    ...i.extra,
  };
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

export interface PersonInput {
  login: string;
  password: string;
  otp?: string;
  patient?: string;
  /** Scopes to leave unticked on the consent page. */
  untick?: string[];
  deny?: boolean;
}

/** Signs in and consents; returns the final redirect to the app (with code or error) and the pages seen. */
export async function signInAndConsent(
  browser: Browser,
  url: string,
  redirectUri: string,
  who: PersonInput,
): Promise<{ redirect?: URL; offered: string[]; lastHtml?: string }> {
  let step = await browser.follow(url, redirectUri);
  if (!step.html) return { redirect: new URL(step.url), offered: [] };
  if (/name="password"/.test(step.html)) {
    step = await browser.follow(new URL(formAction(step.html), step.url).toString(), redirectUri, {
      form: { login: who.login, password: who.password, ...(who.otp ? { otp: who.otp } : {}) },
    });
    if (!step.html) return { redirect: new URL(step.url), offered: [] };
    if (/name="password"/.test(step.html)) return { offered: [], lastHtml: step.html };
  }
  const offered = offeredScopes(step.html);
  if (!/name="decision"/.test(step.html)) return { offered, lastHtml: step.html };
  const chosen = offered.filter((s) => !(who.untick ?? []).includes(s));
  step = await browser.follow(new URL(formAction(step.html), step.url).toString(), redirectUri, {
    form: { scope: chosen, decision: who.deny ? 'deny' : 'allow', ...(who.patient ? { patient: who.patient } : {}) },
  });
  return step.html ? { offered, lastHtml: step.html } : { redirect: new URL(step.url), offered };
}

export async function exchangeCode(
  base: string,
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
