/** Test and benchmark support: large byte streams generated on the fly, never held. */
import { createCipheriv, createHash } from 'node:crypto';

/**
 * Deterministic, incompressible bytes (AES-128-CTR keystream of the seed), handed out in pieces of `piece` bytes: the
 * same seed gives the same bytes whatever the piece size. Nothing is kept: a 200 MB stream costs one piece at a time.
 */
export async function* pseudoRandomBytes(total: number, seed = 'nilecare', piece = 64 * 1024): AsyncGenerator<Buffer> {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(piece);
  let produced = 0;
  while (produced < total) {
    const size = Math.min(piece, total - produced);
    produced += size;
    yield cipher.update(zeros.subarray(0, size));
  }
}
