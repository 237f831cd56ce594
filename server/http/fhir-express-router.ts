/**
 * The FHIR endpoint on express: body parsing and limits, content negotiation, the caller's AccessPolicy,
 * then server/fhir/router does the rest. Responses are FHIR JSON or FHIR XML (content-negotiation.ts) with
 * ETag / Location / Last-Modified.
 */
import express, { type Request, type Response, type NextFunction } from 'express';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream';
import type { AccessPolicy } from '../fhir/access-policy.js';
import type { FhirContext, FhirServices } from '../fhir/fhir-context.js';
import { readPreferences, type FhirRequest, type FhirResponse } from '../fhir/fhir-request.js';
import { routeFhirRequest, type RouterOptions } from '../fhir/router.js';
import {
  assertBodyType,
  chooseFormat,
  isXmlBodyType,
  JSON_RESPONSE,
  negotiateFormat,
  XML_BODY_TYPES,
  type ResponseFormat,
} from './content-negotiation.js';
import { decodeXmlBytes } from '../fhir/xml/decode-xml-bytes.js';
import { parseFhirXml } from '../fhir/xml/parse-fhir-xml.js';
import { writeFhirXml } from '../fhir/xml/write-fhir-xml.js';
import { XmlUnwritableError } from '../fhir/xml/xml-escape.js';
import { fhirError } from '../fhir/errors.js';
import { errorResponse } from './error-response.js';
import { announcesBody, handlesJsonBody, parseBody, readJsonBody } from './json-body.js';
import { decodeJsonBytes } from '../json/decode-json-bytes.js';
import { stringifyJson } from '../json/stringify-json.js';
import type { Logger } from 'pino';
import { responseCompression } from './response-compression.js';
import { endWhole, varyOnEncoding } from './whole-body-compression.js';

export type FhirHttpOptions = {
  services: FhirServices;
  routerOptions: RouterOptions;
  /** Resolves the caller (SMART token or the development setting) into an AccessPolicy; throws FhirError 401/403. */
  resolveAccess: (req: Request) => Promise<AccessPolicy>;
  maxBodyBytes: number;
  logger: Logger;
  /** Called after each response, for metrics and audit. */
  onResponse?: (event: {
    req: Request;
    interaction: FhirRequest;
    status: number;
    durationMs: number;
    access?: AccessPolicy;
  }) => void;
};

const JSON_TYPES = [
  'application/fhir+json',
  'application/json',
  'application/json+fhir',
  'application/json-patch+json',
];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

export function fhirExpressRouter(options: FhirHttpOptions): express.Router {
  const router = express.Router();
  // Bodies the fast reader (json-body.ts) does not take: gzip, other charsets, search forms. JSON bytes are
  // inflated by body-parser, then decoded and read by the same strict, lossless reader as the fast path.
  const fallbackJson = express.raw({ type: JSON_TYPES, limit: options.maxBodyBytes });
  const formText = express.text({ type: 'application/x-www-form-urlencoded', limit: options.maxBodyBytes });
  const graphqlText = express.text({ type: 'application/graphql', limit: options.maxBodyBytes });
  // FHIR XML bodies: bytes (inflated by body-parser when compressed), decoded, read into FHIR JSON (server/fhir/xml).
  const xmlRaw = express.raw({ type: [...XML_BODY_TYPES], limit: options.maxBodyBytes });
  // One layer does it all (body, access, route, send): each express layer costs a path match and a next() per request.
  router.use(async (req: Request, res: Response, _next: NextFunction) => {
    const started = performance.now();
    const requestId = (res.locals['requestId'] as string | undefined) ?? randomUUID();
    let interaction: FhirRequest | undefined;
    let access: AccessPolicy | undefined;
    // The format errors are answered in too (JSON when the client asked for something we do not produce).
    let format: ResponseFormat = chooseFormat(formatParam(req), req.headers.accept) ?? JSON_RESPONSE;
    try {
      const hasBody = announcesBody(req);
      // POST/PUT of Binary content in its own media type: left unread, the interaction streams it (fhir/binary).
      const binaryContent = isBinaryContent(req) && (hasBody || req.headers['content-type'] !== undefined);
      if (!binaryContent)
        assertBodyType(req.headers['content-type'], hasBody && req.method !== 'GET' && req.method !== 'HEAD');
      if (hasBody && !binaryContent) {
        if (handlesJsonBody(req)) req.body = await readJsonBody(req, options.maxBodyBytes);
        else if (isXmlBodyType(req.headers['content-type'])) {
          await runMiddleware(xmlRaw, req, res);
          const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
          req.body = bytes.length === 0 ? {} : parseFhirXml(decodeXmlBytes(bytes, charsetParam(req)));
        } else {
          await runMiddleware(fallbackJson, req, res);
          if (Buffer.isBuffer(req.body)) req.body = parseBody(decodeJsonBytes(req.body, charsetOf(req)));
          await runMiddleware(formText, req, res);
          await runMiddleware(graphqlText, req, res);
        }
      }
      interaction = toFhirRequest(req);
      if (binaryContent) interaction.bodyStream = req;
      // A Binary is also served in its own media type (an XML document, say): its read negotiates itself.
      if (interaction.segments[0] !== 'Binary' || paramOf(interaction, '_format') !== undefined)
        format = negotiateFormat(paramOf(interaction, '_format'), req.headers.accept);
      // The CapabilityStatement is public (SMART clients read it before they have a token).
      access = isPublic(interaction) ? ANONYMOUS : await options.resolveAccess(req);
      const ctx: FhirContext = {
        ...options.services,
        access,
        prefer: readPreferences(interaction.headers),
        requestId,
        reportError: (err: unknown) => options.logger.error({ err, requestId }, 'unexpected error in a bundle entry'),
      };
      const response = await routeFhirRequest(ctx, interaction, options.routerOptions);
      send(req, res, response, paramOf(interaction, '_pretty') === 'true', format);
    } catch (error) {
      send(req, res, errorResponse(error, requestId, options.logger), false, format);
    }
    options.onResponse?.({
      req,
      interaction: interaction ?? emptyRequest(req),
      status: res.statusCode,
      durationMs: performance.now() - started,
      access,
    });
  });
  return router;
}

// A Binary sent as FHIR XML is a resource; plain application/xml or text/xml is content (a CDA document, say).
const NOT_CONTENT_TYPES = new Set([
  ...JSON_TYPES,
  'application/x-www-form-urlencoded',
  'application/fhir+xml',
  'application/xml+fhir',
  'application/graphql',
]);

function isBinaryContent(req: Request): boolean {
  if (req.method !== 'POST' && req.method !== 'PUT') return false;
  if (!/^\/Binary(?:\/[^/]+)?\/?$/.test(req.path)) return false;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return !NOT_CONTENT_TYPES.has(type);
}

/** The charset the Content-Type names, if any. */
function charsetParam(req: Request): string | undefined {
  return /charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
}

/** `_format` from the query string, before the request is otherwise read. */
function formatParam(req: Request): string | undefined {
  const q = req.originalUrl.indexOf('?');
  if (q < 0 || !req.originalUrl.includes('_format', q)) return undefined;
  return new URLSearchParams(req.originalUrl.slice(q + 1)).get('_format') ?? undefined;
}

function charsetOf(req: Request): string {
  const contentType = req.headers['content-type'] ?? '';
  return /charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1] ?? 'utf-8';
}

function runMiddleware(handler: express.RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- express's next(err) passes the error on as is
    void handler(req, res, (error?: unknown) => (error ? reject(error) : resolve()));
  });
}

function toFhirRequest(req: Request): FhirRequest {
  const method = req.method.toUpperCase();
  if (!METHODS.has(method)) throw Object.assign(new Error('method'), { status: 405 });
  const segments = req.path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => decodeURIComponent(s));
  const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
  const params: Array<[string, string]> = [...new URLSearchParams(query).entries()];
  let contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() || undefined;
  if (isXmlBodyType(contentType)) contentType = 'application/fhir+json'; // the body was read into FHIR JSON
  let body: unknown = req.body;
  if (contentType === 'application/x-www-form-urlencoded') {
    params.push(...new URLSearchParams(typeof req.body === 'string' ? req.body : '').entries());
    body = undefined;
  } else if (
    body !== undefined &&
    typeof body === 'object' &&
    body !== null &&
    Object.keys(body).length === 0 &&
    !hasContent(req)
  ) {
    body = undefined;
  }
  const headers: Record<string, string | undefined> = {};
  const incoming = req.headers; // node lower-cases the names
  for (const k in incoming) {
    const v = incoming[k];
    headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return { method: method as FhirRequest['method'], segments, params, headers, body, contentType };
}

const ANONYMOUS: AccessPolicy = { who: 'anonymous', allows: () => false, constraints: () => undefined };

function isPublic(request: FhirRequest): boolean {
  return (
    (request.method === 'GET' || request.method === 'HEAD') &&
    request.segments.length === 1 &&
    request.segments[0] === 'metadata'
  );
}

function hasContent(req: Request): boolean {
  return announcesBody(req);
}

function paramOf(request: FhirRequest, name: string): string | undefined {
  return request.params.find(([k]) => k === name)?.[1];
}

function emptyRequest(req: Request): FhirRequest {
  return { method: 'GET', segments: req.path.split('/').filter(Boolean), params: [], headers: {} };
}

function send(req: Request, res: Response, response: FhirResponse, pretty: boolean, format: ResponseFormat): void {
  if (res.headersSent) return;
  // A body left unread (a refused upload): close the connection rather than read on through it.
  if (announcesBody(req) && !req.complete) res.setHeader('Connection', 'close');
  res.statusCode = response.status;
  const headers = response.headers;
  if (headers) for (const k in headers) res.setHeader(k, headers[k]!);
  if (response.raw) {
    compressStream(req, res);
    res.setHeader('Content-Type', response.raw.contentType);
    const body = response.raw.body;
    if (req.method === 'HEAD') res.end();
    else if (typeof body === 'string') res.end(body);
    // pipeline: a stream that fails half-way (content store gone) cuts the response instead of leaving it hanging
    else pipeline(body, res, () => undefined);
    return;
  }
  if (response.resource === undefined || response.status === 304 || response.status === 204) {
    res.end();
    return;
  }
  const text = serialise(response, pretty, format);
  res.statusCode = text.status;
  res.setHeader('Content-Type', text.contentType);
  if (req.method === 'HEAD') {
    res.setHeader('Content-Length', Buffer.byteLength(text.body));
    varyOnEncoding(req, res);
    res.end();
    return;
  }
  endWhole(req, res, text.body, compressStream);
}

/**
 * The `compression` middleware (a zlib stream per response), put in place only for the answers that need it: streamed
 * content (Binary, export files) and bodies too large for endWhole's one synchronous call. Every other answer is
 * compressed (or not) by endWhole, which also sets Vary as the middleware would: the middleware's per-response set-up
 * (its wrappers of write/end/on, a close listener, the header hook) was a measurable part of a read's CPU.
 */
const streamCompression = responseCompression();
function compressStream(req: Request, res: Response): void {
  void streamCompression(req, res, () => undefined); // installs its hooks and calls next at once
}

type Serialised = { body: string; contentType: string; status: number };

function serialise(response: FhirResponse, pretty: boolean, format: ResponseFormat): Serialised {
  const resource = response.resource as unknown as Record<string, unknown>;
  const { status } = response;
  if (format.kind === 'json') {
    return { body: stringifyJson(resource, pretty ? 2 : undefined), contentType: format.contentType, status };
  }
  try {
    return { body: writeFhirXml(resource, { pretty }), contentType: format.contentType, status };
  } catch (error) {
    if (!(error instanceof XmlUnwritableError)) throw error;
    // Text XML 1.0 cannot carry (a control character, a narrative that is not well-formed XHTML): say so, in XML.
    const outcome = fhirError(
      406,
      'not-supported',
      `The answer cannot be written as FHIR XML: ${error.message}; ask for JSON`,
    ).outcome;
    return {
      body: writeFhirXml(outcome as unknown as Record<string, unknown>),
      contentType: format.contentType,
      status: 406,
    };
  }
}
