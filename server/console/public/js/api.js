// Calls the server's public APIs with the signed-in user's token: FHIR REST and the console admin API.
import { loadConfig, session, signOut } from './auth.js';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(url, init = {}) {
  const s = session();
  if (!s) throw new ApiError(401, 'Not signed in');
  const res = await fetch(url, {
    ...init,
    headers: {
      accept: 'application/fhir+json, application/json',
      ...(s.accessToken ? { authorization: `Bearer ${s.accessToken}` } : {}),
      ...(init.headers ?? {}),
    },
  });
  const text = await res.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (res.status === 401 && !s.open) {
    signOut();
    window.dispatchEvent(new Event('console:signed-out'));
  }
  if (!res.ok) {
    const diagnostics =
      body?.resourceType === 'OperationOutcome'
        ? body.issue?.map((i) => i.diagnostics ?? i.details?.text ?? i.code).join('; ')
        : '';
    throw new ApiError(res.status, `HTTP ${res.status}${diagnostics ? `: ${diagnostics}` : ''}`);
  }
  return body;
}

/** GET/POST relative to the FHIR base, e.g. fhir('Patient?name=amira'). */
export async function fhir(path, init) {
  const { fhirBaseUrl } = await loadConfig();
  return call(path.startsWith('http') ? path : `${fhirBaseUrl}/${path.replace(/^\//, '')}`, init);
}

/** The console admin API, e.g. admin('hl7/messages?status=failed'). */
export function admin(path, init) {
  return call(`api/${path}`, init);
}

/**
 * The bytes at a FHIR URL (a Binary) as a Blob, fetched with the signed-in user's token: a plain link or <img src>
 * would go without it. The server decides access exactly as for any read (Binary.securityContext).
 */
export async function fhirBlob(path) {
  const s = session();
  if (!s) throw new ApiError(401, 'Not signed in');
  const { fhirBaseUrl } = await loadConfig();
  const url = path.startsWith('http') ? path : `${fhirBaseUrl}/${path.replace(/^\//, '')}`;
  const res = await fetch(url, {
    headers: { accept: '*/*', ...(s.accessToken ? { authorization: `Bearer ${s.accessToken}` } : {}) },
  });
  if (!res.ok) throw new ApiError(res.status, `HTTP ${res.status}`);
  return res.blob();
}

export const entries = (bundle) => (bundle?.entry ?? []).map((e) => e.resource).filter(Boolean);
