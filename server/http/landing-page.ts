/**
 * `GET /`: what a person opening the server's address in a browser needs (issue 26) — where the FHIR API, its
 * CapabilityStatement, the SMART configuration, the console and the health checks are, and where the first-hour
 * steps are written down. HTML for browsers, JSON of the same links for `Accept: application/json`. No data.
 */
import type { RequestHandler } from 'express';

export interface LandingPageOptions {
  baseUrl: string;
  smart: boolean;
  consolePath?: string;
}

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function landingLinks(o: LandingPageOptions): { title: string; href: string; note: string }[] {
  const fhirPath = new URL(o.baseUrl).pathname.replace(/\/+$/, '');
  return [
    {
      title: 'CapabilityStatement',
      href: `${fhirPath}/metadata`,
      note: `what the FHIR R4 API at ${o.baseUrl} supports (no token needed)`,
    },
    ...(o.smart
      ? [
          {
            title: 'SMART configuration',
            href: `${fhirPath}/.well-known/smart-configuration`,
            note: 'authorisation and token endpoints, scopes',
          },
        ]
      : []),
    ...(o.consolePath
      ? [
          {
            title: 'Operations console',
            href: o.consolePath,
            note: 'sign in as admin (first password: data/auth/initial-admin-password)',
          },
        ]
      : []),
    { title: 'Liveness', href: '/healthz', note: 'the process answers' },
    { title: 'Readiness', href: '/readyz', note: 'the store (and Redis) answer' },
  ];
}

export function landingPage(o: LandingPageOptions): RequestHandler {
  const links = landingLinks(o);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>NileCare FHIR</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>NileCare FHIR</h1>
<p>FHIR R4 server of the NileCare hospital platform.${o.smart ? ' Calls to the API need a SMART access token.' : ' Authorisation is <strong>disabled</strong> (development only).'}</p>
<ul>
${links.map((l) => `<li><a href="${escape(l.href)}">${escape(l.title)}</a> — ${escape(l.note)}</li>`).join('\n')}
</ul>
<p>Getting a token, changing the admin password, registering apps and services: <code>npm run auth -- --help</code>,
and the section <em>The first hour</em> of README.md.</p>
</body></html>
`;
  return (req, res) => {
    res.set('Cache-Control', 'no-cache');
    if (req.accepts(['html', 'json']) === 'json') {
      res.json({ name: 'NileCare FHIR', fhirBaseUrl: o.baseUrl, links });
      return;
    }
    res.set('Content-Security-Policy', "default-src 'none'").type('html').send(html);
  };
}
