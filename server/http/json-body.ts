/**
 * Reads a JSON request body in the common case (JSON content type, no content encoding, UTF-8 or no charset)
 * straight off the stream: strict UTF-8, then the strict and lossless JSON reader (server/json), with body-parser's
 * error shapes for size and transport
 * (`entity.too.large` 413, `entity.parse.failed` 400, `request.aborted` 400) so error-response.ts maps them alike.
 * Anything else (gzip, another charset, form bodies) is left to the body-parser fallback (`handles` says which).
 * Per request this skips body-parser's type-is / raw-body / iconv / on-finished work, about a tenth of a create's
 * server CPU.
 */
import type { IncomingMessage } from 'node:http';
import { decodeJsonBytes } from '../json/decode-json-bytes.js';
import { parseJson } from '../json/parse-json.js';

type BodyError = Error & { type: string; status: number; limit?: number };

function bodyError(message: string, type: string, status: number, limit?: number): BodyError {
  return Object.assign(new Error(message), { type, status, ...(limit !== undefined ? { limit } : {}) });
}

const JSON_TYPES = new Set([
  'application/fhir+json',
  'application/json',
  'application/json+fhir',
  'application/json-patch+json',
]);

/** True when the request has a body this reader takes (JSON type, identity encoding, UTF-8 or no charset). */
export function handlesJsonBody(req: IncomingMessage): boolean {
  const contentType = req.headers['content-type'];
  if (!contentType) return false;
  const semi = contentType.indexOf(';');
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (!JSON_TYPES.has(type)) return false;
  if (semi >= 0) {
    const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType.slice(semi))?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return false;
  }
  const encoding = req.headers['content-encoding'];
  return encoding === undefined || encoding.toLowerCase() === 'identity';
}

/** True when the request announces a body (Content-Length > 0 or chunked), as body-parser's hasBody. */
export function announcesBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** The parsed body ({} for an empty one, as body-parser), or a body-parser-shaped error. Strict: object or array. */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined;
    if (declared !== undefined && declared > limit) {
      req.resume(); // drain, so that the connection can answer
      reject(bodyError('request entity too large', 'entity.too.large', 413, limit));
      return;
    }
    // With a Content-Length the body is copied into one buffer as it arrives, so the socket's chunks are garbage at
    // once (not all kept until a Buffer.concat that holds the body twice); chunked bodies are gathered and joined.
    let whole: Buffer | undefined =
      declared !== undefined && Number.isInteger(declared) && declared > 0 ? Buffer.allocUnsafe(declared) : undefined;
    let chunks: Buffer[] = [];
    let received = 0;
    let failed = false;
    const onData = (chunk: Buffer) => {
      if (failed) return;
      if (received + chunk.length > limit) {
        failed = true;
        chunks = [];
        whole = undefined;
        reject(bodyError('request entity too large', 'entity.too.large', 413, limit));
        return;
      }
      if (whole !== undefined && received + chunk.length <= whole.length) chunk.copy(whole, received);
      else {
        if (whole !== undefined) chunks.push(whole.subarray(0, received)); // more than announced: gather from here on
        whole = undefined;
        chunks.push(chunk);
      }
      received += chunk.length;
    };
    const onEnd = () => {
      cleanup();
      if (failed) return;
      try {
        const text = takeText(); // the bytes are unreachable while the text is parsed
        resolve(parseBody(text));
      } catch (error) {
        reject(error);
      }
    };
    const takeText = (): string => {
      // strict UTF-8 (no U+FFFD repairs), BOM skipped
      const bytes =
        whole !== undefined
          ? whole.subarray(0, received)
          : chunks.length === 1
            ? chunks[0]!
            : Buffer.concat(chunks, received);
      whole = undefined;
      chunks = [];
      return decodeJsonBytes(bytes);
    };
    const onAborted = () => {
      cleanup();
      if (failed) return;
      failed = true;
      reject(bodyError('request aborted', 'request.aborted', 400));
    };
    const onError = (error: Error) => {
      cleanup();
      if (failed) return;
      failed = true;
      reject(error);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('error', onError);
  });
}

/** The parsed body ({} when empty): an object or array, read strictly and losslessly (server/json/parse-json.ts). */
export function parseBody(text: string): unknown {
  if (text.length === 0) return {};
  let i = 0;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  const first = text[i];
  if (first !== '{' && first !== '[') {
    throw bodyError(
      `Unexpected token ${first === undefined ? 'end of input' : JSON.stringify(first)}: a JSON body must be an object or array`,
      'entity.parse.failed',
      400,
    );
  }
  return parseJson(text);
}
