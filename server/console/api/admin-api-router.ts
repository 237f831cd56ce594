/**
 * /console/api/*: the admin API. Every call needs a bearer token `authorizeAdmin` accepts (read-only viewer pages:
 * `authorizeViewer`); the routes of each area in their own file; the routes that take a body after the JSON parser;
 * anything else a 404, and every failure an OperationOutcome (api-kit.ts).
 */
import express, { type Router } from 'express';
import { notFound } from '../../fhir/errors.js';
import type { AdminApi } from '../admin-api.js';
import { accessRoutes } from './access-routes.js';
import { apiErrors, json } from './api-kit.js';
import { hl7EndpointRoutes, hl7MessageRoutes } from './hl7-routes.js';
import { operationsRoutes } from './operations-routes.js';

export type AuthorizeHeader = (authorizationHeader: string | undefined) => Promise<void>;

/** Read-only pages open to viewers (auditors) as well as administrators: checked before the admin gate. */
const VIEWER_PAGES = new Set(['/subscriptions']);

export function adminApiRouter(o: {
  admin: AdminApi;
  authorizeAdmin: AuthorizeHeader;
  authorizeViewer?: AuthorizeHeader | undefined;
}): Router {
  const api = express.Router();
  const authorizeViewer = o.authorizeViewer ?? o.authorizeAdmin;
  api.use(async (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    try {
      const viewerPage = req.method === 'GET' && VIEWER_PAGES.has(req.path);
      const header = req.get('authorization');
      await (viewerPage ? authorizeViewer(header) : o.authorizeAdmin(header));
      next();
    } catch (e) {
      next(e);
    }
  });
  operationsRoutes(api, o.admin);
  hl7MessageRoutes(api, o.admin);
  api.use(json);
  accessRoutes(api, o.admin);
  hl7EndpointRoutes(api, o.admin);
  api.use((req, _res, next) => next(notFound(`No console API endpoint ${req.method} ${req.path}`)));
  api.use(apiErrors);
  return api;
}
