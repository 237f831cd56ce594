/** JSON error answers of the authorisation server's own endpoints (RFC 6749 / 6750 shapes). */
import type express from 'express';

export class OAuthHttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
    this.name = 'OAuthHttpError';
  }
}

export function sendOAuthError(res: express.Response, e: unknown): void {
  if (e instanceof OAuthHttpError) {
    if (e.status === 401) res.set('WWW-Authenticate', `Bearer error="${e.error}"`);
    res.status(e.status).json({ error: e.error, error_description: e.message });
    return;
  }
  const err = e as { status?: number; wwwAuthenticate?: string; message?: string };
  if (err.wwwAuthenticate) res.set('WWW-Authenticate', err.wwwAuthenticate);
  res.status(err.status ?? 500).json({
    error: err.status === 403 ? 'insufficient_scope' : err.status === 401 ? 'invalid_token' : 'server_error',
    error_description: err.status ? err.message : 'internal error',
  });
}
