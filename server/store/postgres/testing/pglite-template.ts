/**
 * Test support: a fresh in-memory PGlite costs an initdb (tens of seconds on a busy machine); loading
 * a saved data folder costs a few. The first test process saves an initialised database with the
 * store schema to the temp folder (keyed by PGlite version and schema fingerprint); later ones load it.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { pgliteClient } from '../pglite-client.js';
import { PostgresStore } from '../postgres-store.js';
import { createSchema, SCHEMA_FINGERPRINT } from '../schema.js';

/** The installed PGlite version (its package.json is not exported, so found beside its entry point). */
const PGLITE_VERSION = (() => {
  try {
    const entry = fileURLToPath(import.meta.resolve('@electric-sql/pglite'));
    return (JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
})();

function templatePath(): string {
  return join(tmpdir(), 'nilecare-pglite-templates', `store-${PGLITE_VERSION}-${SCHEMA_FINGERPRINT}.tar`);
}

/** A fresh, empty, schema-initialised in-memory PGlite store. */
export async function openPgliteTestStore(): Promise<PostgresStore> {
  const path = templatePath();
  const saved = await readFile(path).catch(() => undefined);
  if (saved) {
    try {
      const db = await PGlite.create({ loadDataDir: new Blob([saved]), extensions: { pg_trgm } });
      return new PostgresStore(pgliteClient(db, 'pglite (in memory)'));
    } catch {
      // a damaged template: fall through and make a new one
    }
  }
  const db = await PGlite.create({ extensions: { pg_trgm } });
  const store = new PostgresStore(pgliteClient(db, 'pglite (in memory)'));
  await createSchema(pgliteClient(db, 'template'));
  const dump = await db.dumpDataDir('none');
  await mkdir(join(tmpdir(), 'nilecare-pglite-templates'), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
  await rename(partial, path); // atomic: concurrent test processes never read half a file
  return store;
}
