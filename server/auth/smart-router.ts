/**
 * The authorisation server's HTTP surface, in the order it is matched: SMART discovery, the login and consent pages,
 * EHR launch, client registration, then oidc-provider itself (/auth/*, OpenID discovery), and a clear 400/413 for
 * bodies our own routes could not parse.
 */
import express, { type RequestHandler, type Router } from 'express';
import type Provider from 'oidc-provider';
import type { Adapter } from 'oidc-provider';
import type { AccessAuditEvent } from './audit-event.js';
import type { ContextStore } from './context-store.js';
import { errorPage } from './html.js';
import { interactionRouter, type InteractionDeps } from './interactions.js';
import { launchRouter } from './launch-route.js';
import { registrationRouter } from './registration-routes.js';
import type { SmartAccessPolicy } from './scope-policy.js';
import { smartConfiguration } from './smart-configuration.js';
import type { UserRows } from './user-rows.js';

export interface SmartRouterDeps {
  issuer: string;
  fhirBaseUrl: string;
  /** The current provider (a new one after a key rotation) and its request handler. */
  provider: () => Provider;
  callback: () => ReturnType<Provider['callback']>;
  clients: () => Adapter;
  users: UserRows;
  contexts: ContextStore;
  grantTtlSeconds: number;
  bearerPolicy: (req: express.Request) => Promise<SmartAccessPolicy>;
  isAdmin: (policy: SmartAccessPolicy) => Promise<boolean>;
  audit: (e: AccessAuditEvent) => Promise<void>;
  consent: Pick<InteractionDeps, 'patientExists' | 'patientLabel' | 'findPatients' | 'firstPartyClients'>;
}

export function smartRouter(d: SmartRouterDeps): RequestHandler {
  const router = express.Router();
  router.use(smartDiscovery(d.issuer, d.fhirBaseUrl));
  router.use(
    interactionRouter({
      provider: d.provider,
      fhirBaseUrl: d.fhirBaseUrl,
      users: d.users,
      contexts: d.contexts,
      grantTtlSeconds: d.grantTtlSeconds,
      audit: d.audit,
      ...d.consent,
    }),
  );
  router.use(launchRouter({ contexts: d.contexts, bearerPolicy: d.bearerPolicy, audit: d.audit }));
  router.use(
    registrationRouter({
      issuer: d.issuer,
      provider: d.provider,
      clients: d.clients,
      bearerPolicy: d.bearerPolicy,
      isAdmin: d.isAdmin,
      audit: d.audit,
    }),
  );
  router.use((req, res, next) => {
    if (req.path.startsWith('/auth/') || req.path === '/.well-known/openid-configuration')
      return d.callback()(req, res);
    next();
  });
  router.use(unparsedBodies);
  // Everything above answers under /auth/ or a /.well-known/ path only: every other request (each FHIR request)
  // skips its routers at the cost of one string test instead of walking them.
  return (req, res, next) => {
    if (req.path.startsWith('/auth/') || req.path.includes('/.well-known/')) return router(req, res, next);
    next();
  };
}

/** GET .well-known/smart-configuration at the root and under the FHIR base. */
function smartDiscovery(issuer: string, fhirBaseUrl: string): Router {
  const router = express.Router();
  const discovery = smartConfiguration(issuer);
  const fhirPath = new URL(fhirBaseUrl).pathname.replace(/\/+$/, '');
  for (const path of ['/.well-known/smart-configuration', `${fhirPath}/.well-known/smart-configuration`]) {
    router.get(path, (_req, res) => {
      res.set({ 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'public, max-age=300' }).json(discovery);
    });
  }
  return router;
}

/** Bodies our own routes could not parse: a clear 400/413, never express's HTML stack page. */
function unparsedBodies(err: unknown, req: express.Request, res: express.Response, next: express.NextFunction): void {
  const e = err as { type?: string; status?: number; message?: string };
  if (!e?.type || !req.path.startsWith('/auth/')) {
    next(err);
    return;
  }
  const status = e.type === 'entity.too.large' ? 413 : 400;
  const description =
    e.type === 'entity.parse.failed'
      ? 'the body is not valid JSON'
      : e.type === 'entity.too.large'
        ? 'the body is too large'
        : String(e.message ?? 'bad request');
  if (req.path.startsWith('/auth/interaction/'))
    res.status(status).type('html').send(errorPage('Bad request', description));
  else res.status(status).json({ error: 'invalid_request', error_description: description });
}
