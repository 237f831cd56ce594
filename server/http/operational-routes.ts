/**
 * The server's operational endpoints beside FHIR: GET /healthz (the process answers), GET /readyz (the server has
 * started its components, and the store — and Redis, when it is used — answer) and GET /metrics (Prometheus; with SMART on, a backend scraper with the metrics
 * scope or an administrator).
 */
import express, { type Router } from 'express';
import type { Registry } from 'prom-client';
import type { ResourceStore } from '../store/resource-store.js';
import type { SmartAuth } from '../auth/smart-auth.js';
import type { StartupGate } from './startup-gate.js';

export function healthRoutes(o: {
  store: ResourceStore;
  redisReady?: { check(): Promise<string | undefined> } | undefined;
  /** The server listens but its HL7 and projection components are not running yet (startup-gate.ts). */
  startup?: StartupGate;
}): Router {
  const { store, redisReady } = o;
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (o.startup?.starting) {
      res.status(503).json({ status: 'starting', store: store.description });
      return;
    }
    const redisProblem = await redisReady?.check();
    try {
      await store.ping();
      if (redisProblem) {
        res.status(503).json({ status: 'not ready', store: store.description, redis: redisProblem });
        return;
      }
      res.json({ status: 'ready', store: store.description, ...(redisReady ? { redis: 'ok' } : {}) });
    } catch (error) {
      res.status(503).json({
        status: 'not ready',
        store: store.description,
        error: (error as Error).message,
        ...(redisProblem ? { redis: redisProblem } : {}),
      });
    }
  });
  return router;
}

/** `smart`: SMART authorisation is on (then `auth` decides; without it every scrape is refused). */
export function metricsRoute(o: { registry: Registry; smart: boolean; auth: SmartAuth | undefined }): Router {
  const router = express.Router();
  router.get('/metrics', async (req, res) => {
    if (o.smart) {
      const refusal = await metricsRefusal(req, o.auth);
      if (refusal) {
        if (refusal.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
        res.status(refusal.status).type('text/plain').end(refusal.message);
        return;
      }
    }
    res.setHeader('Content-Type', o.registry.contentType);
    res.end(await o.registry.metrics());
  });
  return router;
}

/** Why a /metrics request is refused (undefined: allowed). Without the SMART server (tests' own resolver): refused. */
async function metricsRefusal(
  req: express.Request,
  auth: SmartAuth | undefined,
): Promise<{ status: number; message: string } | undefined> {
  if (!auth) return { status: 403, message: 'metrics need the SMART authorisation server' };
  try {
    const policy = await auth.authenticate(req.get('authorization'), { ...(req.ip ? { ip: req.ip } : {}) });
    if (await auth.mayReadMetrics(policy)) return undefined;
    return { status: 403, message: 'metrics need the nilecare-metrics scope or an administrator' };
  } catch {
    return { status: 401, message: 'metrics need a bearer token' };
  }
}
