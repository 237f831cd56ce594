/**
 * The HTTP side of the composition root (server/app.ts): one express app with request ids, /metrics, the rate limit,
 * health, the landing page, SMART's routes, the operations console and the FHIR endpoint, in that order.
 */
import express from 'express';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { ResourceStore } from './store/resource-store.js';
import type { ServerState } from './state/open-state.js';
import type { SmartAuth } from './auth/smart-auth.js';
import type { FhirServices } from './fhir/fhir-context.js';
import type { RouterOptions } from './fhir/router.js';
import type { Metrics } from './http/metrics.js';
import { fhirExpressRouter, type FhirHttpOptions } from './http/fhir-express-router.js';
import { registerRuntimeMetrics, type RuntimeMetrics } from './http/runtime-metrics.js';
import { rateLimit } from './http/rate-limit.js';
import { fhirCors } from './http/cors.js';
import { landingPage } from './http/landing-page.js';
import { healthRoutes, metricsRoute } from './http/operational-routes.js';
import type { StartupGate } from './http/startup-gate.js';
import { redisReadiness } from './redis-check.js';
import { mountConsole } from './console/mount-console.js';
import type { AdminApi } from './console/admin-api.js';

export type MountedHttp = {
  app: express.Express;
  runtimeMetrics: RuntimeMetrics;
  console: Awaited<ReturnType<typeof mountConsole>>;
  /** Closes the rate limiter's Redis and the readiness probe's connection. */
  close(): void;
};

export async function mountHttp(o: {
  config: Config;
  startup: StartupGate;
  store: ResourceStore;
  state: ServerState;
  auth: SmartAuth | undefined;
  metrics: Metrics;
  admin: AdminApi;
  services: FhirServices;
  routerOptions: RouterOptions;
  resolveAccess: FhirHttpOptions['resolveAccess'];
  onResponse: FhirHttpOptions['onResponse'];
  logger: Logger;
}): Promise<MountedHttp> {
  const { config, auth, logger } = o;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestIds);
  const runtimeMetrics = registerRuntimeMetrics(o.metrics.registry);
  let redis: Redis | undefined;
  if (config.rateLimitPerMinute > 0) {
    redis = config.auth.redisUrl ? rateLimitRedis(config.auth.redisUrl) : undefined;
    app.use(
      '/fhir',
      rateLimit({
        redis: redis ?? (await o.state.kv()),
        perMinute: config.rateLimitPerMinute,
        logger,
        // with authorisation on, only a verified token says who the client is (a forged one counts by address)
        ...(auth ? { identify: (header: string | undefined) => auth.verifiedClient(header) } : {}),
      }),
    );
  }
  // The FHIR endpoint comes before the routers below, none of which answers under /fhir except SMART discovery
  // (/fhir/.well-known/…): a FHIR request no longer walks the metrics, health, landing, SMART and console routers.
  const fhir = express.Router();
  fhir.use(fhirCors(config.corsOrigins));
  fhir.use(
    fhirExpressRouter({
      services: o.services,
      routerOptions: o.routerOptions,
      resolveAccess: o.resolveAccess,
      maxBodyBytes: config.maxBodyBytes,
      logger,
      onResponse: o.onResponse,
    }),
  );
  app.use('/fhir', (req, res, next) => (req.path.includes('/.well-known/') ? next() : fhir(req, res, next)));
  app.use(metricsRoute({ registry: o.metrics.registry, smart: config.auth.mode === 'smart', auth }));
  const redisReady = config.auth.redisUrl && (auth || redis) ? redisReadiness(config.auth.redisUrl) : undefined;
  app.use(healthRoutes({ store: o.store, redisReady, startup: o.startup }));
  app.get('/', landingPage({ baseUrl: config.baseUrl, smart: config.auth.mode === 'smart', consolePath: '/console/' }));
  if (auth) app.use(auth.router);
  const consoleMount = await mountConsole(app, { config, admin: o.admin, logger, ...(auth ? { auth } : {}) });
  app.use('/fhir', fhir); // a /.well-known/ path SMART discovery did not answer: the FHIR endpoint's 404, as before
  return {
    app,
    runtimeMetrics,
    console: consoleMount,
    close: () => {
      redis?.disconnect();
      redisReady?.close();
    },
  };
}

/** X-Request-Id: the caller's (a safe token) or a new UUID, echoed and kept for the request log. */
function requestIds(req: express.Request, res: express.Response, next: express.NextFunction): void {
  const incoming = req.headers['x-request-id'];
  const requestId = typeof incoming === 'string' && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
  res.locals['requestId'] = requestId;
  res.setHeader('X-Request-Id', requestId);
  next();
}

/** The rate limiter's Redis (REDIS_URL): fails fast, never queues while it is down. */
function rateLimitRedis(url: string): Redis {
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', () => undefined);
  return redis;
}
