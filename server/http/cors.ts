/**
 * CORS for the FHIR endpoint, so browser SMART apps on other origins can call it (the CapabilityStatement says
 * `cors: true`). Callers authenticate with bearer tokens, never cookies, so no credentials are allowed and any
 * origin may be let in (CORS_ORIGINS=*, the default) or only the listed ones. Preflights (OPTIONS) answer 204.
 */
import type { NextFunction, Request, Response } from 'express';

const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const ALLOW_HEADERS = [
  'Authorization',
  'Content-Type',
  'Accept',
  'Prefer',
  'If-Match',
  'If-None-Match',
  'If-None-Exist',
  'If-Modified-Since',
  'X-Request-Id',
].join(', ');
const EXPOSE_HEADERS = [
  'Location',
  'Content-Location',
  'ETag',
  'Last-Modified',
  'WWW-Authenticate',
  'X-Request-Id',
  'X-Progress',
  'Retry-After',
].join(', ');

export type CorsOrigins = '*' | readonly string[];

export function fhirCors(origins: CorsOrigins) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    if (typeof origin !== 'string') {
      next();
      return;
    }
    res.vary('Origin');
    const allowed = origins === '*' || origins.includes(origin);
    if (allowed) {
      res.setHeader('Access-Control-Allow-Origin', origins === '*' ? '*' : origin);
      res.setHeader('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    }
    if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) {
      next();
      return;
    }
    if (allowed) {
      res.setHeader('Access-Control-Allow-Methods', ALLOW_METHODS);
      res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
    }
    res.status(204).end();
  };
}
