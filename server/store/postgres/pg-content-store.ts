/**
 * The content port (store/content/content-store.ts) on the FHIR store's PostgreSQL or PGlite: schema
 * `nilecare_documents` (migrations/embedded/postgres/nilecare_documents), 1 MiB chunks in `binary_content_chunk`,
 * and a `binary_content` row written after the last chunk that makes the content complete (stat/open see only those).
 *
 * Each chunk is its own statement: a transaction held open for the length of a slow 200 MB upload would block every
 * other writer of the embedded PGlite (one connection). The content row is written unclaimed; the transaction that
 * commits the Binary version naming it sets `claimed` (write-versions.ts, VersionWrite.contentIds), so the bytes
 * become part of the record exactly when the resource does. An upload that dies leaves chunks without a content row,
 * removed by put's own clean-up; a write that fails after the upload removes its content (fhir/binary/); after a
 * crash, `removeUnclaimed` at start removes both kinds of left-over.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { migrateDatabase } from '../../migrate/migrate.js';
import { EMBEDDED_MIGRATIONS_ROOT, openStoreMigrationSession } from '../../state/migration-session.js';
import {
  ContentMissingError,
  type ContentStore,
  type ContentUsage,
  type PutOptions,
  type StoredContent,
  UNCLAIMED_GRACE_MS,
} from '../content/content-store.js';
import { readChunked, writeChunked } from '../content/chunked-content.js';
import type { SqlClient } from './sql-client.js';

const SCHEMA = 'nilecare_documents';

type ContentRow = { content_id: string; content_type: string; size: string | number; sha1: string; chunks: number };

export class PgContentStore implements ContentStore {
  readonly description: string;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly client: SqlClient) {
    this.description = `chunk table ${SCHEMA}.binary_content_chunk in ${client.description}`;
  }

  async init(): Promise<void> {
    await migrateDatabase({
      engine: 'postgres',
      database: SCHEMA,
      connection: {},
      session: () => openStoreMigrationSession(this.client, SCHEMA),
      migrationsRoot: EMBEDDED_MIGRATIONS_ROOT,
      log: () => undefined,
    });
    await this.removeUnclaimed(UNCLAIMED_GRACE_MS);
    // a long-running server removes left-overs too (each node; the statement is idempotent)
    this.#sweeper ??= setInterval(
      () => void this.removeUnclaimed(UNCLAIMED_GRACE_MS).catch(() => undefined),
      UNCLAIMED_GRACE_MS,
    );
    this.#sweeper.unref();
  }

  async put(source: AsyncIterable<Uint8Array>, options: PutOptions): Promise<StoredContent> {
    const id = randomUUID();
    try {
      const written = await writeChunked(source, options.maxBytes, async (n, bytes) => {
        await this.client.query({
          name: 'content-chunk-insert',
          text: `INSERT INTO ${SCHEMA}.binary_content_chunk (content_id, n, data) VALUES ($1, $2, $3)`,
          values: [id, n, bytes],
        });
      });
      await this.client.query({
        text: `INSERT INTO ${SCHEMA}.binary_content (content_id, content_type, size, sha1, chunks) VALUES ($1, $2, $3, $4, $5)`,
        values: [id, options.contentType, written.size, written.sha1, written.chunks],
      });
      return { id, size: written.size, sha1: written.sha1, contentType: options.contentType };
    } catch (error) {
      await this.delete(id).catch(() => undefined);
      throw error;
    }
  }

  async stat(id: string): Promise<StoredContent | undefined> {
    const row = await this.row(id);
    return row ? toStored(row) : undefined;
  }

  open(id: string): Readable {
    return readChunked(
      async () => {
        const row = await this.row(id);
        if (!row) throw new ContentMissingError(id);
        return row.chunks;
      },
      async (n) => {
        const result = await this.client.query<{ data: Uint8Array }>({
          name: 'content-chunk-select',
          text: `SELECT data FROM ${SCHEMA}.binary_content_chunk WHERE content_id = $1 AND n = $2`,
          values: [id, n],
        });
        const data = result.rows[0]?.data;
        if (!data) throw new ContentMissingError(id);
        return data;
      },
    );
  }

  async delete(id: string): Promise<void> {
    await this.client.transaction(async (tx) => {
      await tx.query({ text: `DELETE FROM ${SCHEMA}.binary_content WHERE content_id = $1`, values: [id] });
      await tx.query({ text: `DELETE FROM ${SCHEMA}.binary_content_chunk WHERE content_id = $1`, values: [id] });
    });
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    // the SQL client belongs to the FHIR store, which closes it
  }

  async removeUnclaimed(olderThanMs: number): Promise<number> {
    const result = await this.client.query<{ removed: string | number }>({
      text: `WITH gone AS (DELETE FROM ${SCHEMA}.binary_content
                           WHERE NOT claimed AND created_at <= now() - make_interval(secs => $1::float8 / 1000)
                           RETURNING content_id),
                  gone_chunks AS (DELETE FROM ${SCHEMA}.binary_content_chunk c USING gone WHERE c.content_id = gone.content_id),
                  unfinished AS (DELETE FROM ${SCHEMA}.binary_content_chunk c WHERE NOT EXISTS
                                   (SELECT 1 FROM ${SCHEMA}.binary_content b WHERE b.content_id = c.content_id)
                                 AND c.written_at <= now() - make_interval(secs => $1::float8 / 1000)
                                 RETURNING c.content_id)
             SELECT (SELECT count(*) FROM gone) + (SELECT count(DISTINCT content_id) FROM unfinished) AS removed`,
      values: [olderThanMs],
    });
    return Number(result.rows[0]?.removed ?? 0);
  }

  async usage(): Promise<ContentUsage> {
    const result = await this.client.query<{ contents: string | number; chunks: string | number }>({
      text: `SELECT (SELECT count(*) FROM ${SCHEMA}.binary_content) AS contents,
                    (SELECT count(*) FROM ${SCHEMA}.binary_content_chunk) AS chunks`,
    });
    return { contents: Number(result.rows[0]?.contents ?? 0), chunks: Number(result.rows[0]?.chunks ?? 0) };
  }

  private async row(id: string): Promise<ContentRow | undefined> {
    const result = await this.client.query<ContentRow>({
      name: 'content-row-select',
      text: `SELECT content_id, content_type, size, sha1, chunks FROM ${SCHEMA}.binary_content WHERE content_id = $1`,
      values: [id],
    });
    return result.rows[0];
  }
}

function toStored(row: ContentRow): StoredContent {
  return { id: row.content_id, size: Number(row.size), sha1: row.sha1, contentType: row.content_type };
}
