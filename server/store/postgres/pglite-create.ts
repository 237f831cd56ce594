/**
 * Creating the embedded PGlite as the store runs it, in whichever thread runs it (open-postgres-store.ts on this
 * thread, pglite-worker.ts in a worker): on a folder, fsynced commits (pglite-fsync.ts; NILECARE_PGLITE_FSYNC=off to
 * opt out, unsafe on an OS crash); pg_trgm for `:contains`.
 */
export async function createPglite(dataDir?: string /* undefined = in memory */) {
  // loaded here, not at import: a server on a PostgreSQL server never loads PGlite (~25 MB resident)
  const [{ PGlite }, { pg_trgm }, { FsyncingNodeFS, fsyncStartParams, pgliteFsyncEnabled }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('./pglite-fsync.js'),
  ]);
  const durable = dataDir !== undefined && pgliteFsyncEnabled();
  // relaxedDurability false (the default): each statement's changes reach the data folder before it resolves
  const db = await PGlite.create({
    ...(durable ? { fs: new FsyncingNodeFS(dataDir), startParams: fsyncStartParams() } : { dataDir }),
    relaxedDurability: false,
    extensions: { pg_trgm },
  });
  return { db, description: `pglite (${dataDir ?? 'in memory'}${dataDir && !durable ? ', fsync off' : ''})` };
}
