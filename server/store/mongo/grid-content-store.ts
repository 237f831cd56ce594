/**
 * The content port (store/content/content-store.ts) on MongoDB, in the GridFS layout (a `<bucket>.files` document per
 * content, `<bucket>.chunks` documents `{files_id, n, data}` of 1 MiB) in the `ehr_documents` database of the schema
 * reference, whose collections name the buckets: `clinical_documents` (PDF, Word, text), `images` (image/*, DICOM),
 * `attachments` (anything else). The layout is GridFS's, so `mongofiles` and the drivers' GridFSBucket read it.
 *
 * Runs over the same DocDatabase layer as the MongoDB store: the official driver on a server, or in process (mingo)
 * when no MONGODB_URL is set — then the bytes live in this process's memory and are gone at exit.
 * The files document is inserted after the last chunk: chunks without one belong to an upload that did not finish
 * (each chunk carries `written`, a date outside GridFS's fields that GridFS readers ignore, so that start-up removes
 * only old ones). Content is complete when put resolves; there is no claim by the resource's transaction here.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  ContentMissingError,
  type ContentStore,
  type ContentUsage,
  type PutOptions,
  type StoredContent,
  UNCLAIMED_GRACE_MS,
} from '../content/content-store.js';
import { CHUNK_BYTES, readChunked, writeChunked } from '../content/chunked-content.js';
import type { Doc, DocDatabaseHandle } from './doc-db.js';

export const DOCUMENTS_DB_NAME = 'ehr_documents';
export const BUCKETS = ['clinical_documents', 'images', 'attachments'] as const;
export type Bucket = (typeof BUCKETS)[number];

/** Which collection of ehr_documents keeps content of this media type. */
export function bucketFor(contentType: string): Bucket {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type.startsWith('image/') || type === 'application/dicom') return 'images';
  if (
    type === 'application/pdf' ||
    type.startsWith('text/') ||
    type === 'application/rtf' ||
    type === 'application/msword' ||
    type.startsWith('application/vnd.openxmlformats-officedocument') ||
    type === 'application/vnd.oasis.opendocument.text' ||
    type === 'application/hl7-v2' ||
    type === 'application/xml' ||
    type === 'application/cda+xml'
  )
    return 'clinical_documents';
  return 'attachments';
}

type FilesDoc = Doc & {
  length: number;
  chunkSize: number;
  uploadDate: Date;
  contentType: string;
  metadata: { sha1: string; chunks: number };
};

export class GridContentStore implements ContentStore {
  readonly description: string;

  constructor(private readonly db: DocDatabaseHandle) {
    this.description = `GridFS buckets ${BUCKETS.join(', ')} in ${db.description}`;
  }

  async init(): Promise<void> {
    for (const bucket of BUCKETS) {
      await this.db
        .collection(`${bucket}.chunks`)
        .createIndex({ keys: { files_id: 1, n: 1 }, name: 'files_id_1_n_1', unique: true });
      await this.db.collection(`${bucket}.chunks`).createIndex({ keys: { n: 1, written: 1 }, name: 'n_1_written_1' });
      await this.db
        .collection(`${bucket}.files`)
        .createIndex({ keys: { filename: 1, uploadDate: 1 }, name: 'filename_1_uploadDate_1' });
    }
    await this.removeUnclaimed(UNCLAIMED_GRACE_MS);
  }

  async put(source: AsyncIterable<Uint8Array>, options: PutOptions): Promise<StoredContent> {
    const id = randomUUID();
    const bucket = bucketFor(options.contentType);
    const chunks = this.db.collection(`${bucket}.chunks`);
    try {
      const written = await writeChunked(source, options.maxBytes, async (n, bytes) => {
        await chunks.insertOne({ _id: `${id}:${n}`, files_id: id, n, data: bytes, written: new Date() });
      });
      const files: FilesDoc = {
        _id: id,
        length: written.size,
        chunkSize: CHUNK_BYTES,
        uploadDate: new Date(),
        filename: id,
        contentType: options.contentType,
        metadata: { sha1: written.sha1, chunks: written.chunks },
      };
      await this.db.collection(`${bucket}.files`).insertOne(files);
      return { id, size: written.size, sha1: written.sha1, contentType: options.contentType };
    } catch (error) {
      await chunks.deleteMany({ files_id: id }).catch(() => undefined);
      throw error;
    }
  }

  async stat(id: string): Promise<StoredContent | undefined> {
    const found = await this.find(id);
    return found ? toStored(found.files) : undefined;
  }

  open(id: string): Readable {
    let bucket: Bucket | undefined;
    return readChunked(
      async () => {
        const found = await this.find(id);
        if (!found) throw new ContentMissingError(id);
        bucket = found.bucket;
        return found.files.metadata.chunks;
      },
      async (n) => {
        const chunk = await this.db.collection(`${bucket!}.chunks`).findOne({ _id: `${id}:${n}` });
        if (!chunk) throw new ContentMissingError(id);
        return bytesOf(chunk['data']);
      },
    );
  }

  async delete(id: string): Promise<void> {
    for (const bucket of BUCKETS) {
      await this.db.collection(`${bucket}.files`).deleteMany({ _id: id });
      await this.db.collection(`${bucket}.chunks`).deleteMany({ files_id: id });
    }
  }

  /** Chunks of uploads that never got their files document (first chunks older than `olderThanMs`). */
  async removeUnclaimed(olderThanMs: number): Promise<number> {
    const cutoff = new Date(Date.now() - olderThanMs);
    let removed = 0;
    for (const bucket of BUCKETS) {
      const chunks = this.db.collection(`${bucket}.chunks`);
      const firsts = await chunks.find({ n: 0 }, { projection: { files_id: 1, written: 1 } });
      for (const first of firsts) {
        const written = first['written'];
        if (written instanceof Date && written >= cutoff) continue;
        if (await this.db.collection(`${bucket}.files`).findOne({ _id: String(first['files_id']) })) continue;
        await chunks.deleteMany({ files_id: first['files_id'] });
        removed++;
      }
    }
    return removed;
  }

  async usage(): Promise<ContentUsage> {
    let contents = 0;
    let chunks = 0;
    for (const bucket of BUCKETS) {
      contents += await this.db.collection(`${bucket}.files`).countDocuments({});
      chunks += await this.db.collection(`${bucket}.chunks`).countDocuments({});
    }
    return { contents, chunks };
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  private async find(id: string): Promise<{ bucket: Bucket; files: FilesDoc } | undefined> {
    for (const bucket of BUCKETS) {
      const files = (await this.db.collection(`${bucket}.files`).findOne({ _id: id })) as FilesDoc | null;
      if (files) return { bucket, files };
    }
    return undefined;
  }
}

function toStored(files: FilesDoc): StoredContent {
  return { id: String(files._id), size: files.length, sha1: files.metadata.sha1, contentType: files.contentType };
}

/** The driver answers BSON Binary, the in-process collections a Uint8Array. */
function bytesOf(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  const binary = data as { buffer?: Uint8Array; value?: () => Uint8Array };
  if (binary.buffer instanceof Uint8Array) return binary.buffer;
  throw new Error('a GridFS chunk without bytes');
}
