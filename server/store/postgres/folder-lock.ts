/**
 * One process per embedded database folder. PGlite is a single-user PostgreSQL: a second process opening the same
 * folder writes its own WAL and checkpoints over the first one's, and the folder is lost ("could not locate a valid
 * checkpoint record"). So opening a PGlite folder first takes `<folder>.lock` (beside the folder, which PGlite owns),
 * created exclusively, holding who took it. A second opener is refused with FolderLockedError naming the holder
 * (pid, host, command, since when). A lock left by a process that died (kill -9, power loss) is taken over when its
 * pid is no longer alive on this host; one from another host is never taken over (the message says what to check).
 *
 * This also makes PGlite's in-process locks (ResourceStore.withLocks) a guarantee: no other process writes there.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';

export type FolderHolder = { pid: number; host: string; command: string; since: string };

export class FolderLockedError extends Error {
  constructor(
    readonly folder: string,
    readonly holder: FolderHolder | undefined,
  ) {
    const who = holder
      ? `process ${holder.pid} on ${holder.host} (${holder.command.slice(0, 200)}), since ${holder.since}`
      : 'another process (its lock file is being written)';
    super(
      `The embedded database ${folder} is in use by ${who}. Only one process may open it: stop that process first ` +
        '(a running server: use its admin endpoints instead of a command that opens the store). ' +
        (holder && holder.host !== hostname()
          ? `It was opened from another machine: if that process is gone, delete ${folder}.lock.`
          : ''),
    );
    this.name = 'FolderLockedError';
  }
}

export type FolderLock = { readonly path: string; release(): void };

/** Takes the folder's lock or throws FolderLockedError. */
export function lockFolder(folder: string): FolderLock {
  const dir = resolve(folder);
  const path = `${dir}.lock`;
  const mine: FolderHolder = {
    pid: process.pid,
    host: hostname(),
    command: process.argv.slice(1).join(' '),
    since: new Date().toISOString(),
  };
  const text = JSON.stringify(mine);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createExclusive(path, text)) return held(path, text);
    const holder = readHolder(path);
    if (holder === 'gone') continue; // released meanwhile: try again
    if (holder === undefined || isAlive(holder)) throw new FolderLockedError(dir, holder);
    takeOverStale(path, holder);
  }
  throw new FolderLockedError(dir, undefined);
}

function held(path: string, text: string): FolderLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    try {
      if (readFileSync(path, 'utf8') === text) unlinkSync(path);
    } catch {
      // already gone
    }
  };
  process.on('exit', release); // a normal exit (even without close) frees the folder
  return { path, release };
}

function createExclusive(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The holder, 'gone' when the file disappeared, undefined when it cannot be read yet (being written: live). */
function readHolder(path: string): FolderHolder | 'gone' | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as FolderHolder;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') return parsed;
  } catch {
    // fall through
  }
  // unreadable: a writer between create and write (young file), or garbage left by a crash (old file)
  const age = Date.now() - statSync(path).mtimeMs;
  return age > 10_000 ? { pid: -1, host: hostname(), command: '(unreadable lock file)', since: '' } : undefined;
}

function isAlive(holder: FolderHolder): boolean {
  if (holder.host !== hostname()) return true; // cannot tell: never taken over
  if (holder.pid <= 0) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Moves the dead holder's file aside (rename is atomic: of two processes taking over at once, one moves it), then
 * checks that what it moved is that dead holder's file; if it moved a fresh lock instead, it puts it back.
 */
function takeOverStale(path: string, stale: FolderHolder): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readFileSync(aside, 'utf8');
  let movedPid: number | undefined;
  try {
    movedPid = (JSON.parse(moved) as FolderHolder).pid;
  } catch {
    movedPid = -1;
  }
  if (movedPid !== stale.pid) {
    // a live opener's fresh lock: back in place (link fails rather than replace one created meanwhile)
    try {
      linkSync(aside, path);
    } catch {
      // someone else's lock is in place now
    }
    unlinkSync(aside);
    return;
  }
  unlinkSync(aside);
}
