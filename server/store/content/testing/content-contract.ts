/**
 * The shared contract of the content port: every ContentStore runs it from its own *.int.test.ts (PGlite, the
 * PostgreSQL server, MongoDB in process via mingo or on MONGODB_URL) with a factory that opens a fresh, empty one.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ContentMissingError, ContentTooLargeError, type ContentStore } from '../content-store.js';
import { CHUNK_BYTES } from '../chunked-content.js';
import { pseudoRandomBytes } from './pseudo-random-bytes.js';

export type ContentStoreFactory = () => Promise<{ contents: ContentStore; dispose: () => Promise<void> }>;

async function sha1Of(source: AsyncIterable<Uint8Array>): Promise<{ sha1: string; size: number }> {
  const hash = createHash('sha1');
  let size = 0;
  for await (const piece of source) {
    hash.update(piece);
    size += piece.length;
  }
  return { sha1: hash.digest('base64'), size };
}

export function describeContentStoreContract(label: string, factory: ContentStoreFactory): void {
  describe(`ContentStore contract: ${label}`, () => {
    let contents: ContentStore;
    let dispose: () => Promise<void>;
    before(async () => {
      ({ contents, dispose } = await factory());
      await contents.init();
      await contents.init(); // idempotent
    });
    after(async () => {
      await dispose?.();
    });

    it('keeps bytes across several chunks and gives them back identical, with size and SHA-1 (base64)', async () => {
      const total = 2 * CHUNK_BYTES + 12_345;
      const expected = await sha1Of(pseudoRandomBytes(total, 'a'));
      const stored = await contents.put(pseudoRandomBytes(total, 'a', 10_000), {
        contentType: 'application/pdf',
        maxBytes: 10 * CHUNK_BYTES,
      });
      assert.equal(stored.size, total);
      assert.equal(stored.sha1, expected.sha1);
      assert.equal(stored.contentType, 'application/pdf');
      assert.deepEqual(await contents.stat(stored.id), stored);
      assert.deepEqual(await sha1Of(contents.open(stored.id)), expected);
    });

    it('keeps empty content and a chunk-sized one exactly', async () => {
      const empty = await contents.put(pseudoRandomBytes(0), { contentType: 'text/plain', maxBytes: 10 });
      assert.equal(empty.size, 0);
      assert.equal(empty.sha1, createHash('sha1').digest('base64'));
      assert.deepEqual(await sha1Of(contents.open(empty.id)), { sha1: empty.sha1, size: 0 });
      const exact = await contents.put(pseudoRandomBytes(CHUNK_BYTES, 'x'), {
        contentType: 'image/jpeg',
        maxBytes: CHUNK_BYTES,
      });
      assert.deepEqual(await sha1Of(contents.open(exact.id)), await sha1Of(pseudoRandomBytes(CHUNK_BYTES, 'x')));
    });

    it('refuses content past maxBytes with ContentTooLargeError, one byte over is enough', async () => {
      await assert.rejects(
        contents.put(pseudoRandomBytes(CHUNK_BYTES + 1), { contentType: 'image/png', maxBytes: CHUNK_BYTES }),
        ContentTooLargeError,
      );
    });

    it('passes on a failing source and keeps nothing readable of it', async () => {
      async function* broken() {
        yield Buffer.alloc(CHUNK_BYTES + 10, 1);
        throw new Error('client went away');
      }
      await assert.rejects(contents.put(broken(), { contentType: 'application/pdf', maxBytes: 1e9 }), /went away/);
    });

    it('fails the stream of an unknown id, and of deleted content', async () => {
      await assert.rejects(sha1Of(contents.open('no-such-content')), ContentMissingError);
      assert.equal(await contents.stat('no-such-content'), undefined);
      const stored = await contents.put(pseudoRandomBytes(1000), { contentType: 'text/plain', maxBytes: 2000 });
      await contents.delete(stored.id);
      await contents.delete(stored.id); // again: no error
      assert.equal(await contents.stat(stored.id), undefined);
      await assert.rejects(sha1Of(contents.open(stored.id)), ContentMissingError);
    });

    it('keeps concurrent uploads apart, each under its own id', async () => {
      const seeds = ['c1', 'c2', 'c3', 'c4'];
      const stored = await Promise.all(
        seeds.map((seed, i) =>
          contents.put(pseudoRandomBytes(CHUNK_BYTES + i * 1000, seed, 7_777), {
            contentType: i % 2 ? 'image/png' : 'application/octet-stream',
            maxBytes: 4 * CHUNK_BYTES,
          }),
        ),
      );
      assert.equal(new Set(stored.map((s) => s.id)).size, seeds.length);
      for (const [i, seed] of seeds.entries()) {
        assert.deepEqual(
          await sha1Of(contents.open(stored[i]!.id)),
          await sha1Of(pseudoRandomBytes(CHUNK_BYTES + i * 1000, seed)),
        );
      }
    });

    it('reads two streams of the same content at once, interleaved', async () => {
      const stored = await contents.put(pseudoRandomBytes(3 * CHUNK_BYTES, 'r'), {
        contentType: 'application/dicom',
        maxBytes: 4 * CHUNK_BYTES,
      });
      const [a, b] = await Promise.all([sha1Of(contents.open(stored.id)), sha1Of(contents.open(stored.id))]);
      assert.equal(a.sha1, stored.sha1);
      assert.equal(b.sha1, stored.sha1);
    });
  });
}
