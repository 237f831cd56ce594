/**
 * A Binary's bytes and its resource are one record (issue #21): run against every store (binary-atomic.*.int.test.ts).
 * An upload that dies mid-body, a write refused after its bytes arrived (If-Match, validation, a failing transaction
 * entry) leave neither a resource nor stored content; concurrent uploads to one Binary each become a version whose
 * bytes history keeps, and a lost race leaves no bytes behind. On PostgreSQL/PGlite content is claimed in the
 * resource's transaction: never-claimed content is removed, claimed content never.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { StoreFactory } from '../../../store/testing/store-contract.js';
import type { ContentStore } from '../../../store/content/content-store.js';
import { startTestServer, type TestServer } from '../../../testing/test-server.js';
import { randomBytes } from 'node:crypto';
import { sendBytes } from './http-bytes.js';

export function describeBinaryAtomic(label: string, factory: StoreFactory, claims: boolean): void {
  describe(`Binary bytes and resource as one record: ${label}`, () => {
    let server: TestServer;
    let dispose: () => Promise<void>;
    let contents: ContentStore;

    before(async () => {
      const opened = await factory();
      dispose = opened.dispose;
      server = await startTestServer(opened.store, { env: { MAX_CONTENT_BYTES: String(8 * 1024 * 1024) } });
      contents = server.app.services.contents!;
      const patient = await server.fhir('/Patient/pa', { method: 'PUT', body: { resourceType: 'Patient', id: 'pa' } });
      assert.equal(patient.status, 201);
    });
    after(async () => {
      await server?.close();
      await server?.app.store.close();
      await dispose?.();
    });

    const binaries = async () => (await server.fhir('/Binary?_summary=count')).body.total as number;
    const documents = async () => (await server.fhir('/DocumentReference?_summary=count')).body.total as number;
    const put = (path: string, bytes: Uint8Array, headers: Record<string, string> = {}) =>
      sendBytes(`${server.baseUrl}/${path}`, {
        method: path.includes('/') ? 'PUT' : 'POST',
        contentType: 'application/pdf',
        length: bytes.length,
        source: bytes,
        headers,
      });
    /** Waits until the server finished its clean-up (an aborted request is noticed asynchronously). */
    const settledUsage = async (expected: { contents: number; chunks: number }) => {
      let usage = await contents.usage();
      for (let i = 0; i < 100 && (usage.chunks !== expected.chunks || usage.contents !== expected.contents); i++) {
        await new Promise((r) => setTimeout(r, 100));
        usage = await contents.usage();
      }
      return usage;
    };

    it('a client that dies mid-upload leaves neither a Binary nor chunks', async () => {
      const before = await contents.usage();
      const count = await binaries();
      let midway = before;
      await new Promise<void>((resolve) => {
        const req = request(`${server.baseUrl}/Binary`, {
          method: 'POST',
          headers: { 'content-type': 'application/pdf', 'content-length': String(6 * 1024 * 1024) },
        });
        req.on('error', () => resolve());
        req.on('response', () => resolve());
        const dieMidway = async () => {
          // die only once the server holds chunks of this upload (it really was mid-upload)
          for (let i = 0; i < 300 && midway.chunks < before.chunks + 2; i++) {
            await new Promise((r) => setTimeout(r, 100));
            midway = await contents.usage();
          }
          req.destroy();
        };
        req.write(randomBytes(3 * 1024 * 1024), () => void dieMidway());
      });
      assert.ok(midway.chunks >= before.chunks + 2, 'the server had stored chunks of the upload when the client died');
      assert.deepEqual(await settledUsage(before), before);
      assert.equal(await binaries(), count);
    });

    it('bytes of a write refused after upload (stale If-Match, invalid DocumentReference, failing transaction) are removed', async () => {
      const first = await put('Binary', Buffer.from('version one'));
      assert.equal(first.status, 201, first.text);
      const before = await contents.usage();
      const stale = await put(`Binary/${first.body.id}`, randomBytes(2 * 1024 * 1024 + 5), { 'if-match': 'W/"9"' });
      assert.equal(stale.status, 412, stale.text);
      const data = randomBytes(1024 * 1024 + 3).toString('base64');
      const docCount = await documents();
      const binaryCount = await binaries();
      const invalid = await server.fhir('/DocumentReference', {
        method: 'POST',
        body: {
          resourceType: 'DocumentReference',
          status: 'not-a-status',
          subject: { reference: 'Patient/pa' },
          content: [{ attachment: { contentType: 'application/pdf', data } }],
        },
      });
      assert.ok(invalid.status === 400 || invalid.status === 422, invalid.text);
      const tx = await server.fhir('/', {
        method: 'POST',
        body: {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            {
              resource: {
                resourceType: 'DocumentReference',
                status: 'current',
                subject: { reference: 'Patient/pa' },
                content: [{ attachment: { contentType: 'application/pdf', data } }],
              },
              request: { method: 'POST', url: 'DocumentReference' },
            },
            {
              resource: { resourceType: 'Binary', contentType: 'text/plain', data },
              request: { method: 'POST', url: 'Binary' },
            },
            {
              resource: {
                resourceType: 'Observation',
                status: 'final',
                code: { text: 'x' },
                subject: { reference: 'Patient/missing' },
              },
              request: { method: 'PUT', url: 'Observation/o1', ifMatch: 'W/"4"' },
            },
          ],
        },
      });
      assert.ok(tx.status >= 400, tx.text);
      assert.deepEqual(await settledUsage(before), before);
      assert.equal(await documents(), docCount);
      assert.equal(await binaries(), binaryCount);
      assert.equal(await (await fetch(`${server.baseUrl}/Binary/${first.body.id}`)).text(), 'version one');
    });

    it('a DocumentReference and the Binary of its inline data commit together', async () => {
      const created = await server.fhir('/DocumentReference', {
        method: 'POST',
        body: {
          resourceType: 'DocumentReference',
          status: 'current',
          subject: { reference: 'Patient/pa' },
          content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('letter').toString('base64') } }],
        },
      });
      assert.equal(created.status, 201, created.text);
      const url = created.body.content[0].attachment.url as string;
      const binary = await server.fhir(`/${url}`);
      assert.equal(binary.status, 200);
      assert.equal(binary.body.meta.lastUpdated, created.body.meta.lastUpdated, 'one store write, one instant');
    });

    it('concurrent uploads to one Binary: every success is a version whose bytes history keeps; losers leave no bytes', async () => {
      const first = await put('Binary', Buffer.from('base'));
      const id = first.body.id as string;
      const before = await contents.usage();
      const bodies = Array.from({ length: 6 }, (_, i) => randomBytes(300_000 + i * 1000));
      const answers = await Promise.all(bodies.map((b) => put(`Binary/${id}`, b)));
      const ok = answers.filter((a) => a.status === 200);
      for (const a of answers) assert.ok(a.status === 200 || a.status === 409, a.text);
      assert.ok(ok.length >= 1);
      const history = await server.fhir(`/Binary/${id}/_history?_count=50`);
      assert.equal(history.body.entry.length, ok.length + 1);
      const seen = new Set<number>();
      for (let v = 2; v <= ok.length + 1; v++) {
        const bytes = Buffer.from(await (await fetch(`${server.baseUrl}/Binary/${id}/_history/${v}`)).arrayBuffer());
        const which = bodies.findIndex((b) => b.equals(bytes));
        assert.ok(which >= 0, `version ${v} holds one of the uploads`);
        assert.ok(!seen.has(which), `version ${v} is not a duplicate`);
        seen.add(which);
      }
      assert.equal(await (await fetch(`${server.baseUrl}/Binary/${id}/_history/1`)).text(), 'base');
      const usage = await settledUsage({ contents: before.contents + ok.length, chunks: before.chunks + ok.length });
      assert.equal(usage.contents, before.contents + ok.length, 'one content per version, none for a loser');

      // With If-Match the same version: exactly one wins, the rest are 412 and store nothing.
      const version = ok.length + 1;
      const raced = await Promise.all(
        bodies.slice(0, 4).map((b) => put(`Binary/${id}`, b, { 'if-match': `W/"${version}"` })),
      );
      assert.deepEqual(raced.map((r) => r.status).sort(), [200, 412, 412, 412]);
      assert.deepEqual(await settledUsage({ contents: usage.contents + 1, chunks: usage.chunks + 1 }), {
        contents: usage.contents + 1,
        chunks: usage.chunks + 1,
      });
    });

    it(
      claims
        ? 'content no resource claimed is removed by the sweep; content of a Binary never'
        : 'the sweep removes only unfinished uploads; content of a Binary stays',
      async () => {
        const kept = await put('Binary', Buffer.from('kept after sweep'));
        const loose = await contents.put(
          (async function* () {
            yield Buffer.from('no resource names me');
          })(),
          { contentType: 'text/plain', maxBytes: 1000 },
        );
        await contents.removeUnclaimed(0);
        assert.equal(await (await fetch(`${server.baseUrl}/Binary/${kept.body.id}`)).text(), 'kept after sweep');
        assert.equal((await contents.stat(loose.id)) === undefined, claims);
      },
    );
  });
}
