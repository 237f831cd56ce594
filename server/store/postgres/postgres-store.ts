/** The ResourceStore over PostgreSQL (a server through pg, or embedded PGlite): the same SQL for both. */
import type { SearchPage, SearchQuery } from '../../fhir/search/search-query.js';
import type { ChangeRecord, HistoryPage, HistoryQuery, ResourceKey, ResourceStore, StoredVersion, VersionWrite } from '../resource-store.js';
import { readHistory } from './history.js';
import { changesAfter } from './changes.js';
import { readCurrent, readMany, readVersion } from './read-versions.js';
import { createSchema } from './schema.js';
import { runSearch } from './search/run-search.js';
import type { SqlClient } from './sql-client.js';
import { writeVersions } from './write-versions.js';

export class PostgresStore implements ResourceStore {
  constructor(private readonly client: SqlClient) {}

  get description(): string {
    return this.client.description;
  }

  init(): Promise<void> {
    return createSchema(this.client);
  }

  close(): Promise<void> {
    return this.client.close();
  }

  async ping(): Promise<void> {
    await this.client.query({ name: 'fhir_ping', text: 'SELECT 1' });
  }

  read(resourceType: string, id: string): Promise<StoredVersion | undefined> {
    return readCurrent(this.client, resourceType, id);
  }

  vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion | undefined> {
    return readVersion(this.client, resourceType, id, versionId);
  }

  readMany(keys: ResourceKey[]): Promise<StoredVersion[]> {
    return readMany(this.client, keys);
  }

  write(writes: VersionWrite[]): Promise<void> {
    return writeVersions(this.client, writes);
  }

  history(query: HistoryQuery): Promise<HistoryPage> {
    return readHistory(this.client, query);
  }

  search(query: SearchQuery): Promise<SearchPage<StoredVersion>> {
    return runSearch(this.client, query);
  }

  changesAfter(afterSeq: number, limit: number): Promise<ChangeRecord[]> {
    return changesAfter(this.client, afterSeq, limit);
  }
}
