/**
 * Making the embedded store's acknowledged writes durable (fsynced), not only handed to the OS.
 *
 * PGlite 0.5 starts PostgreSQL with `-F` (fsync off), and its Node filesystem (Emscripten NODEFS) has
 * no fsync at all: `fsync()` inside the WASM PostgreSQL resolves without touching the disk and
 * `fdatasync()` is a no-op. So, when fsync is on (the default):
 * - PostgreSQL starts without `-F` and with `wal_sync_method=fsync` (fdatasync cannot reach the disk);
 * - the folder is mounted through NODEFS with a real `fsync` (fs.fsyncSync on the host file), so a
 *   commit's WAL flush and a checkpoint's data-file syncs reach the disk before they return.
 * Measured and explained in docs/embedded-durability.md. NILECARE_PGLITE_FSYNC=off keeps PGlite's own
 * defaults (faster small commits; an OS crash or power loss can lose acknowledged writes).
 */
import { fsyncSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';

/** Whether the embedded store fsyncs (on unless NILECARE_PGLITE_FSYNC=off). */
export function pgliteFsyncEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env['NILECARE_PGLITE_FSYNC'] ?? 'on').toLowerCase() !== 'off';
}

/** PGlite's start parameters without `-F`, syncing the WAL with fsync(). */
export function fsyncStartParams(): string[] {
  const defaults = (PGlite as unknown as { defaultStartParams?: string[] }).defaultStartParams;
  if (!defaults?.includes('--single')) throw new Error('PGlite.defaultStartParams not found: check the PGlite version');
  return [...defaults.filter((p) => p !== '-F'), '-c', 'wal_sync_method=fsync'];
}

type StreamOps = { fsync?: (stream: { nfd?: number }) => number };
type EmscriptenModule = { NODEFS: { stream_ops: StreamOps } };

/** The data folder mounted through NODEFS, whose streams fsync the host file. */
export class FsyncingNodeFS extends NodeFS {
  override async init(...args: Parameters<NodeFS['init']>): ReturnType<NodeFS['init']> {
    const result = await super.init(...args);
    result.emscriptenOpts.preRun = [
      ...(result.emscriptenOpts.preRun ?? []),
      (mod: unknown) => {
        const ops = (mod as EmscriptenModule).NODEFS.stream_ops;
        ops.fsync ??= (stream) => {
          if (stream.nfd !== undefined) fsyncSync(stream.nfd); // throws: PostgreSQL sees an error, not success
          return 0;
        };
      },
    ];
    return result;
  }
}
