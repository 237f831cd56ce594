/**
 * The importer's journal (`--state`, `.import-state.json` by default), rewritten atomically (write + rename) after
 * every step, so a kill -9 at any moment leaves either the previous or the next state, never half of one.
 * Per file (keyed by path, valid while its size and mtime are unchanged):
 * - `linesDone`: ndjson lines up to which every line is loaded (a rerun resumes after it);
 * - `sending`: a Bundle was sent and its answer not yet recorded (a rerun first checks whether it committed);
 * - `complete`: every entry or line succeeded (only then does a rerun skip the file).
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

export const STATE_VERSION = 2;

export type FileState = { key: string; linesDone: number; complete: boolean; sending?: boolean };
export type ImportState = { version: typeof STATE_VERSION; files: Record<string, FileState> };

export class ImportStateError extends Error {}

export function readState(path: string): ImportState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { version: STATE_VERSION, files: {} };
  }
  const state = JSON.parse(text) as Partial<ImportState>;
  if (state.version !== STATE_VERSION || typeof state.files !== 'object' || state.files === null)
    throw new ImportStateError(
      `${path} was written by an older importer, which marked failed files complete: check what it loaded, then ` +
        'delete the file (or pass --state NEW_FILE) to start a fresh journal',
    );
  return state as ImportState;
}

export function writeState(path: string, state: ImportState): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(state));
  renameSync(`${path}.tmp`, path);
}

/**
 * One importer per journal: `<state>.lock` holds the pid of the importer using it. A second importer on the same
 * journal is refused; a lock left by an importer that was killed (its pid is gone) is taken over.
 * Returns the release function.
 */
export function lockJournal(path: string): () => void {
  const lock = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return () => rmSync(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder))
        throw new ImportStateError(`${path} is in use by another importer (pid ${holder}); wait for it to finish`);
      rmSync(lock, { force: true }); // left by an importer that was killed
    }
  }
  throw new ImportStateError(`${path}.lock could not be taken`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
