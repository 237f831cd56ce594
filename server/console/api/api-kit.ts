/**
 * What every route of the console's admin API shares: a handler that answers JSON (FhirErrors go to the error
 * handler), the checks of path ids and JSON bodies, and the one error handler that answers an OperationOutcome.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { FhirError, badRequest, fhirError } from '../../fhir/errors.js';

export const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** Runs `fn` and answers its result as JSON (`{ ok: true }` when it returns nothing), unless it answered itself. */
export const handle =
  (fn: (req: Request, res: Response) => Promise<unknown>) =>
  async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const body = await fn(req, res);
      if (!res.headersSent) res.json(body ?? { ok: true });
    } catch (e) {
      next(e);
    }
  };

/** As `handle`, answering 201 Created. */
export const created = (fn: (req: Request) => Promise<unknown>) =>
  handle(async (req, res) => {
    const answer = await fn(req);
    res.status(201);
    return answer;
  });

/** Parses a JSON body (at most 256 kB): mounted before the routes that take one. */
export const json = express.json({ limit: '256kb' });

export function body(req: Request): Record<string, unknown> {
  if (!req.is('application/json') || typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))
    throw badRequest('The body must be a JSON object (Content-Type: application/json)');
  return req.body as Record<string, unknown>;
}

export function checkId(value: unknown, pattern: RegExp, what: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw badRequest(`Invalid ${what}`);
  return value;
}

/** Any failure as an OperationOutcome: FhirErrors as they are, body errors 400/413, anything else a 500 (logged). */
export function apiErrors(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
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
}
