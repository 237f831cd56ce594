/**
 * The operations console: static files (public/) and the admin API (/console/api/*), mounted by the lead at
 * /console. The console is a SMART app: it signs in against the server's own authorisation server and calls
 * FHIR with the user's token; the admin endpoints accept only a bearer token that `authorizeAdmin` accepts.
 */
import express, { type Router } from 'express';
import { fileURLToPath } from 'node:url';
import type { AdminApi } from './admin-api.js';
import { adminApiRouter } from './api/admin-api-router.js';

export interface ConsoleRouterOptions {
  /** Public FHIR base, e.g. https://fhir.nilecare.sd/fhir. */
  fhirBaseUrl: string;
  /** The authorisation server's issuer (its /.well-known/smart-configuration is read by the browser). */
  issuer: string;
  /**
   * The console's registered public client (redirect URI `<origin>/console/`, scope `openid fhirUser user/*.cruds`).
   */
  clientId: string;
  /**
   * `none` when the server runs with NILECARE_AUTH=disabled (development): the browser skips sign-in. Default smart.
   */
  signIn?: 'smart' | 'none';
  admin: AdminApi;
  /** Resolves when the bearer token belongs to an administrator; throws FhirError 401 (bad/missing token) or 403. */
  authorizeAdmin(authorizationHeader: string | undefined): Promise<void>;
  /** Read-only pages an auditor may see too (the subscriptions list); default: authorizeAdmin. */
  authorizeViewer?(authorizationHeader: string | undefined): Promise<void>;
}

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const origin = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
};

export function consoleRouter(options: ConsoleRouterOptions): Router {
  const router = express.Router();
  const connect = [...new Set(["'self'", origin(options.fhirBaseUrl), origin(options.issuer)].filter(Boolean))].join(
    ' ',
  );
  router.use((_req, res, next) => {
    res.setHeader(
      'Content-Security-Policy',
      `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; frame-src blob:; connect-src ${connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self' ${origin(options.issuer)}`,
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });

  router.get('/config.json', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      fhirBaseUrl: options.fhirBaseUrl.replace(/\/+$/, ''),
      issuer: options.issuer.replace(/\/+$/, ''),
      clientId: options.clientId,
      signIn: options.signIn ?? 'smart',
    });
  });

  const api = adminApiRouter({
    admin: options.admin,
    authorizeAdmin: (header) => options.authorizeAdmin(header),
    authorizeViewer: options.authorizeViewer && ((header) => options.authorizeViewer!(header)),
  });
  router.use('/api', api);

  router.use(express.static(PUBLIC_DIR, { index: 'index.html', redirect: true, maxAge: 0, dotfiles: 'ignore' }));
  return router;
}
