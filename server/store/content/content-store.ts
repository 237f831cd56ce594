/**
 * The content port: the bytes of Binary resources (PDFs, scans, images, HL7 ED payloads), kept apart from the resource
 * JSON and streamed in and out in chunks, never held whole in memory. Implementations: a chunk table in the FHIR
 * store's PostgreSQL/PGlite (postgres/pg-content-store.ts) and a GridFS layout in MongoDB's `ehr_documents` database
 * (mongo/grid-content-store.ts); both pass testing/content-contract.ts.
 *
 * Content is immutable and addressed by an id the store assigns. A Binary version refers to it (fhir/binary/); a new
 * version with new bytes gets new content, so history keeps every version's bytes.
 *
 * On PostgreSQL/PGlite the content becomes part of the record in the transaction of the Binary version naming it
 * (VersionWrite.contentIds: the store claims it there); content never claimed (its write failed, or the process died
 * between upload and commit) is removed by `removeUnclaimed`. On MongoDB (GridFS) content is complete when `put`
 * resolves and a failed write removes it; no claim.
 */
import type { Readable } from 'node:stream';

/** What is known of stored content: its size, SHA-1 (base64, as FHIR's Attachment.hash) and media type. */
export type StoredContent = {
  id: string;
  size: number;
  /** SHA-1 of the bytes, base64 (FHIR Attachment.hash). */
  sha1: string;
  contentType: string;
};

export type ContentUsage = { contents: number; chunks: number };

/** What start-up removes: left-overs older than an hour (an upload in flight on another node is younger). */
export const UNCLAIMED_GRACE_MS = 60 * 60 * 1000;

export type PutOptions = {
  contentType: string;
  /** ContentTooLargeError as soon as more bytes than this arrive; nothing is kept then. */
  maxBytes: number;
};

export interface ContentStore {
  readonly description: string;
  /** Creates the tables / collections / indexes when missing. Idempotent. */
  init(): Promise<void>;
  /**
   * Streams `source` in. Durable (committed) when it resolves; on any failure (source error, too large) the chunks
   * written so far are removed and the error is passed on.
   */
  put(source: AsyncIterable<Uint8Array>, options: PutOptions): Promise<StoredContent>;
  /** undefined when there is no complete content with this id. */
  stat(id: string): Promise<StoredContent | undefined>;
  /** The bytes in order, one chunk at a time as the reader asks for them. Rejects (stream error) for an unknown id. */
  open(id: string): Readable;
  /** Removes the content (no error when unknown). */
  delete(id: string): Promise<void>;
  /**
   * Removes what no committed resource names and that is older than `olderThanMs`: chunks of uploads that never
   * completed and (where the store claims content in the resource's transaction) content never claimed. Returns how
   * many contents / partial uploads were removed.
   */
  removeUnclaimed(olderThanMs: number): Promise<number>;
  /** How much is stored: complete contents and chunks (of complete and of unfinished uploads). */
  usage(): Promise<ContentUsage>;
  close(): Promise<void>;
}

/** More bytes than the configured limit arrived; becomes a 413 OperationOutcome. */
export class ContentTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The content is larger than the limit of ${maxBytes} bytes (${formatMb(maxBytes)})`);
    this.name = 'ContentTooLargeError';
  }
}

/** open() of an id with no complete content. */
export class ContentMissingError extends Error {
  constructor(readonly contentId: string) {
    super(`No stored content ${contentId}`);
    this.name = 'ContentMissingError';
  }
}

function formatMb(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}
