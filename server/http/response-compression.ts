/**
 * Response compression for the FHIR endpoint: gzip or br as the client's Accept-Encoding asks (the `compression`
 * middleware negotiates, sets Vary and drops Content-Length), for bodies of at least 1 KB. Brotli runs at quality 4
 * (the middleware's default): near gzip's CPU for smaller bodies; quality 11 costs ~20× the CPU for a few percent.
 * Besides the types `compression` already knows (+json, text/*), NDJSON (bulk export files) is compressed.
 * A client that sends no Accept-Encoding, or `identity`, gets the bytes as they are.
 */
import compression from 'compression';
import type { Request, RequestHandler, Response } from 'express';

export const COMPRESSION_THRESHOLD_BYTES = 1024;

export function responseCompression(): RequestHandler {
  return compression({ threshold: COMPRESSION_THRESHOLD_BYTES, filter: shouldCompress });
}

/** The middleware's filter: the types `compression` knows, and NDJSON. */
export function shouldCompress(req: Request, res: Response): boolean {
  const type = String(res.getHeader('Content-Type') ?? '').toLowerCase();
  if (type.includes('ndjson')) return true;
  return compression.filter(req, res);
}
