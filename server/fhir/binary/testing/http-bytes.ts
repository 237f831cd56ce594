/**
 * Test support: sending and fetching bytes over real HTTP without holding them — an upload streams from an async
 * iterable (with a Content-Length, or chunked when none is given), a download is hashed as it arrives.
 */
import { request } from 'node:http';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type Sent = { status: number; headers: Record<string, string | string[] | undefined>; text: string; body: any };

export async function sendBytes(
  url: string,
  init: {
    method: 'POST' | 'PUT';
    contentType?: string;
    /** Content-Length; absent: chunked transfer encoding. */
    length?: number;
    headers?: Record<string, string>;
    source: AsyncIterable<Uint8Array> | Uint8Array;
  },
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: init.method,
        headers: {
          ...(init.contentType ? { 'content-type': init.contentType } : {}),
          ...(init.length !== undefined ? { 'content-length': String(init.length) } : {}),
          accept: 'application/fhir+json',
          ...init.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The server may answer (413) and close before the whole body was sent: the answer counts, not the reset.
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') return;
      reject(error);
    });
    const source = init.source instanceof Uint8Array ? Readable.from([init.source]) : Readable.from(init.source);
    pipeline(source, req).catch(() => undefined);
  });
}

export type Fetched = { status: number; headers: Headers; sha1: string; size: number };

/** GET, hashing the body (SHA-1, base64) as it streams in. */
export async function fetchHashed(url: string, headers: Record<string, string> = {}): Promise<Fetched> {
  const response = await fetch(url, { headers });
  const hash = createHash('sha1');
  let size = 0;
  if (response.body) {
    for await (const piece of Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
      hash.update(piece as Buffer);
      size += (piece as Buffer).length;
    }
  }
  return { status: response.status, headers: response.headers, sha1: hash.digest('base64'), size };
}

/** SHA-1 (base64) and size of an async iterable, consumed once. */
export async function hashOf(source: AsyncIterable<Uint8Array>): Promise<{ sha1: string; size: number }> {
  const hash = createHash('sha1');
  let size = 0;
  for await (const piece of source) {
    hash.update(piece);
    size += piece.length;
  }
  return { sha1: hash.digest('base64'), size };
}
