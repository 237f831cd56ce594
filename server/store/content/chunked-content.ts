/**
 * The streaming part both content stores share: cut the incoming bytes into fixed-size chunks (only one chunk is held
 * at a time), count them against the limit and hash them (SHA-1) on the way; and read chunks back in order as a
 * Readable that fetches the next chunk only when the consumer asks (back-pressure end to end).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ContentTooLargeError } from './content-store.js';

/** 1 MiB: few round trips for large files, little memory per transfer. */
export const CHUNK_BYTES = 1024 * 1024;

export type ChunkedWriteResult = { size: number; sha1: string; chunks: number };

/**
 * Feeds `source` to `writeChunk(n, bytes)` in chunks of `chunkBytes` (the last one shorter), one at a time, awaiting
 * each write before reading on. Throws ContentTooLargeError past `maxBytes`.
 */
export async function writeChunked(
  source: AsyncIterable<Uint8Array>,
  maxBytes: number,
  writeChunk: (n: number, bytes: Buffer) => Promise<void>,
  chunkBytes = CHUNK_BYTES,
): Promise<ChunkedWriteResult> {
  const hash = createHash('sha1');
  let buffer = Buffer.allocUnsafe(chunkBytes);
  let filled = 0;
  let size = 0;
  let n = 0;
  for await (const piece of source) {
    const bytes = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    size += bytes.length;
    if (size > maxBytes) throw new ContentTooLargeError(maxBytes);
    hash.update(bytes);
    let offset = 0;
    while (offset < bytes.length) {
      const take = Math.min(chunkBytes - filled, bytes.length - offset);
      bytes.copy(buffer, filled, offset, offset + take);
      filled += take;
      offset += take;
      if (filled === chunkBytes) {
        await writeChunk(n++, buffer);
        buffer = Buffer.allocUnsafe(chunkBytes); // the written one may still be referenced by the driver
        filled = 0;
      }
    }
  }
  if (filled > 0 || n === 0) await writeChunk(n++, buffer.subarray(0, filled));
  return { size, sha1: hash.digest('base64'), chunks: n };
}

/**
 * A Readable of chunks 0 … count-1, each fetched by `readChunk` when the consumer wants more. `countChunks` runs on
 * the first pull (and may reject, e.g. ContentMissingError, which fails the stream).
 */
export function readChunked(
  countChunks: () => Promise<number>,
  readChunk: (n: number) => Promise<Uint8Array>,
): Readable {
  let n = 0;
  let count: number | undefined;
  const next = async (): Promise<Uint8Array | null> => {
    count ??= await countChunks();
    while (n < count) {
      const bytes = await readChunk(n++);
      if (bytes.length > 0) return bytes; // an empty chunk (empty content) is skipped: Readable ends on push(null)
    }
    return null;
  };
  return new Readable({
    highWaterMark: 1, // bytes: the next chunk is fetched only once the consumer took the last one
    read() {
      next().then(
        (bytes) => {
          this.push(bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        },
        (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
      );
    },
  });
}
