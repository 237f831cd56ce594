/**
 * The operations console: static files (public/) and the admin API (/console/api/*), mounted by the lead at
 * /console. The console is a SMART app: it signs in against the server's own authorisation server and calls
 * FHIR with the user's token; the admin endpoints accept only a bearer token that `authorizeAdmin` accepts.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { fileURLToPath } from 'node:url';
import { FhirError, badRequest, fhirError, notFound } from '../fhir/errors.js';
import {
  HL7_MESSAGE_STATUSES,
  type AdminApi,
  type Hl7MessageFilter,
  type NewHl7Endpoint,
  type NewUser,
  type UserChange,
} from './admin-api.js';

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
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const PROJECTION = /^[\w.:-]{1,100}$/;
/** `ResourceType/id` (sent URL-encoded as one path segment), or an hl7_messages id (HL7 outbound). */
const DEAD_LETTER =
  /^([A-Za-z]{1,64}\/[A-Za-z0-9\-.]{1,64}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CLIENT_ID = /^[A-Za-z0-9._~-]{1,100}$/;
const ENDPOINT_NAME = /^[^/\\]{1,100}$/;
const MESSAGE_TYPE = /^[A-Z0-9]{1,10}(\^[A-Z0-9]{1,10})?$/i;

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

  const api = express.Router();
  const authorizeViewer = (header: string | undefined) =>
    options.authorizeViewer ? options.authorizeViewer(header) : options.authorizeAdmin(header);
  /** Read-only pages open to viewers (auditors) as well as administrators: checked before the admin gate below. */
  const VIEWER_PAGES = new Set(['/subscriptions']);
  api.use(async (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    try {
      const viewerPage = req.method === 'GET' && VIEWER_PAGES.has(req.path);
      const header = req.get('authorization');
      await (viewerPage ? authorizeViewer(header) : options.authorizeAdmin(header));
      next();
    } catch (e) {
      next(e);
    }
  });
  const handle =
    (fn: (req: Request, res: Response) => Promise<unknown>) =>
    async (req: Request, res: Response, next: NextFunction) => {
      try {
        const body = await fn(req, res);
        if (!res.headersSent) res.json(body ?? { ok: true });
      } catch (e) {
        next(e);
      }
    };
  api.get(
    '/health',
    handle(() => options.admin.health()),
  );
  api.get(
    '/hl7/messages',
    handle(async (req) => options.admin.hl7Messages(parseFilter(req.query))),
  );
  api.get(
    '/hl7/messages/:id',
    handle(async (req) => {
      const id = checkId(req.params['id'], ID, 'message id');
      const message = await options.admin.hl7Message(id);
      if (!message) throw notFound(`HL7 message ${id} not found`);
      return message;
    }),
  );
  api.post(
    '/hl7/messages/:id/replay',
    handle(async (req) => options.admin.replayHl7Message(checkId(req.params['id'], ID, 'message id'))),
  );
  api.get(
    '/subscriptions',
    handle(() => options.admin.subscriptions()),
  );
  api.get(
    '/projections',
    handle(() => options.admin.projections()),
  );
  api.get(
    '/projections/:name/dead-letters',
    handle(async (req) => options.admin.deadLetters(checkId(req.params['name'], PROJECTION, 'projection'))),
  );
  api.post(
    '/projections/:name/dead-letters/:id/retry',
    handle(async (req) =>
      options.admin.retryDeadLetter(
        checkId(req.params['name'], PROJECTION, 'projection'),
        checkId(req.params['id'], DEAD_LETTER, 'dead letter id'),
      ),
    ),
  );
  api.use(express.json({ limit: '256kb' }));
  const body = (req: Request): Record<string, unknown> => {
    if (!req.is('application/json') || typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))
      throw badRequest('The body must be a JSON object (Content-Type: application/json)');
    return req.body as Record<string, unknown>;
  };
  api.get(
    '/users',
    handle(() => options.admin.users()),
  );
  api.post(
    '/users',
    handle(async (req, res) => {
      const added = await options.admin.addUser(body(req) as unknown as NewUser);
      res.status(201);
      return added;
    }),
  );
  api.post(
    '/users/:id',
    handle(async (req) =>
      options.admin.changeUser(checkId(req.params['id'], ID, 'user id'), body(req) as unknown as UserChange),
    ),
  );
  api.get(
    '/clients',
    handle(() => options.admin.clients()),
  );
  api.post(
    '/clients',
    handle(async (req, res) => {
      const registered = await options.admin.registerClient(body(req));
      res.status(201);
      return registered;
    }),
  );
  api.delete(
    '/clients/:id',
    handle(async (req) => {
      await options.admin.revokeClient(checkId(req.params['id'], CLIENT_ID, 'client id'));
      return { revoked: req.params['id'] };
    }),
  );
  api.post(
    '/launches',
    handle(async (req, res) => {
      const created = await options.admin.createLaunch(body(req) as { patient: string; encounter?: string });
      res.status(201);
      return created;
    }),
  );
  api.get(
    '/hl7/endpoints',
    handle(() => options.admin.hl7Endpoints()),
  );
  api.post(
    '/hl7/endpoints',
    handle(async (req, res) => {
      const added = await options.admin.addHl7Endpoint(body(req) as unknown as NewHl7Endpoint);
      res.status(201);
      return added;
    }),
  );
  api.post(
    '/hl7/endpoints/:name',
    handle(async (req) =>
      options.admin.setHl7EndpointActive(
        checkId(req.params['name'], ENDPOINT_NAME, 'endpoint name'),
        body(req).active as boolean,
      ),
    ),
  );
  api.delete(
    '/hl7/endpoints/:name',
    handle(async (req) => {
      const name = checkId(req.params['name'], ENDPOINT_NAME, 'endpoint name');
      await options.admin.removeHl7Endpoint(name);
      return { removed: name };
    }),
  );
  api.use((req, _res, next) => next(notFound(`No console API endpoint ${req.method} ${req.path}`)));
  api.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const type = (err as { type?: unknown } | undefined)?.type;
    const e =
      err instanceof FhirError
        ? err
        : type === 'entity.parse.failed'
          ? badRequest('The body is not valid JSON')
          : type === 'entity.too.large'
            ? fhirError(413, 'too-costly', 'The body is too large')
            : fhirError(500, 'exception', 'The console API failed; see the server log.');
    if (!(err instanceof FhirError) && e.status === 500) console.error('console api:', err);
    const challenge = (err as { wwwAuthenticate?: unknown }).wwwAuthenticate;
    if (typeof challenge === 'string') res.setHeader('WWW-Authenticate', challenge);
    else if (e.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="nilecare-console"');
    res.status(e.status).type('application/fhir+json').send(JSON.stringify(e.outcome));
  });
  router.use('/api', api);

  router.use(express.static(PUBLIC_DIR, { index: 'index.html', redirect: true, maxAge: 0, dotfiles: 'ignore' }));
  return router;
}

function checkId(value: unknown, pattern: RegExp, what: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw badRequest(`Invalid ${what}`);
  return value;
}

function single(query: Request['query'], name: string): string | undefined {
  const v = query[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw badRequest(`Parameter ${name} must be given once`);
  return v;
}

export function parseFilter(query: Request['query']): Hl7MessageFilter {
  const filter: Hl7MessageFilter = { limit: 50 };
  const limit = single(query, 'limit');
  if (limit !== undefined) {
    if (!/^\d{1,3}$/.test(limit) || Number(limit) < 1 || Number(limit) > 500)
      throw badRequest('limit must be an integer from 1 to 500');
    filter.limit = Number(limit);
  }
  const type = single(query, 'type');
  if (type !== undefined) {
    if (!MESSAGE_TYPE.test(type)) throw badRequest('type must look like ADT or ADT^A01');
    filter.type = type.toUpperCase();
  }
  const sender = single(query, 'sender');
  if (sender !== undefined) {
    if (sender.length > 361) throw badRequest('sender is too long');
    filter.sender = sender;
  }
  const status = single(query, 'status');
  if (status !== undefined) {
    if (!(HL7_MESSAGE_STATUSES as readonly string[]).includes(status))
      throw badRequest(`status must be one of ${HL7_MESSAGE_STATUSES.join(', ')}`);
    filter.status = status;
  }
  const before = single(query, 'before');
  if (before !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}T/.test(before) || Number.isNaN(Date.parse(before)))
      throw badRequest('before must be an ISO 8601 date-time');
    filter.before = before;
  }
  const beforeId = single(query, 'beforeId');
  if (beforeId !== undefined) {
    if (!filter.before) throw badRequest('beforeId needs before');
    if (!UUID.test(beforeId)) throw badRequest('beforeId must be a message id');
    filter.beforeId = beforeId;
  }
  return filter;
}
