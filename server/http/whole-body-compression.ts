/**
 * Compression of an answer the FHIR endpoint holds whole (a serialised resource or Bundle) in one synchronous zlib
 * call. The `compression` middleware (response-compression.ts) builds a zlib stream per response (its state, its
 * events, the write through the thread pool): on a page of 20 Patients (13 KB) that cost about 0.4 ms of server CPU
 * more than the compressing itself (~0.1 ms). Same rules as the middleware: Accept-Encoding with its q-values
 * (br, gzip, deflate; express's req.acceptsEncodings), bodies of at least COMPRESSION_THRESHOLD_BYTES, brotli at
 * quality 4, types the middleware compresses, Cache-Control no-transform respected. Bodies above SYNC_LIMIT_BYTES
 * are left to the middleware's stream, so that one large answer does not hold the event loop. The middleware sees
 * the Content-Encoding set here and passes the bytes through.
 */
import { brotliCompressSync, constants, deflateSync, gzipSync } from 'node:zlib';
import type { Request, Response } from 'express';
import { COMPRESSION_THRESHOLD_BYTES, shouldCompress } from './response-compression.js';

/** ~2 ms of gzip on this machine: larger answers are compressed by the middleware's stream. */
export const SYNC_LIMIT_BYTES = 256 * 1024;
const ENCODINGS = ['br', 'gzip', 'deflate', 'identity'];

/**
 * Ends the response with `body`, compressed here when the client asks for it and the body is worth it; a body above
 * SYNC_LIMIT_BYTES goes through `stream` (which puts the compression middleware in place). Vary: Accept-Encoding
 * whenever the type could be compressed, whatever the size (as the middleware sets it).
 */
export function endWhole(
  req: Request,
  res: Response,
  body: string,
  stream: (req: Request, res: Response) => void,
): void {
  const bytes = Buffer.from(body, 'utf8');
  if (bytes.length > SYNC_LIMIT_BYTES) {
    stream(req, res);
    res.end(bytes);
    return;
  }
  if (!varyOnEncoding(req, res) || bytes.length < COMPRESSION_THRESHOLD_BYTES) {
    res.end(bytes);
    return;
  }
  const encoding = req.headers['accept-encoding'] ? req.acceptsEncodings(ENCODINGS) : false;
  const packed =
    encoding === 'gzip'
      ? gzipSync(bytes)
      : encoding === 'br'
        ? brotliCompressSync(bytes, {
            params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
          })
        : encoding === 'deflate'
          ? deflateSync(bytes)
          : undefined;
  if (!packed) {
    res.end(bytes);
    return;
  }
  res.setHeader('Content-Encoding', encoding as string);
  res.setHeader('Content-Length', packed.length);
  res.end(packed);
}

const NO_TRANSFORM = /(?:^|,)\s*?no-transform\s*?(?:,|$)/i;

/**
 * Whether this answer could be compressed (its type, no Cache-Control no-transform, not encoded already); if so,
 * Vary: Accept-Encoding is set, as the compression middleware does for every such answer, small ones included.
 */
export function varyOnEncoding(req: Request, res: Response): boolean {
  if (!shouldCompress(req, res) || NO_TRANSFORM.test(String(res.getHeader('Cache-Control') ?? ''))) return false;
  res.vary('Accept-Encoding');
  return res.getHeader('Content-Encoding') === undefined;
}
