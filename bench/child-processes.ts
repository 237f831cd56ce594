/**
 * The benchmark's child processes (the server under test, the subscription-lag run): registered here so that a run
 * stopped by SIGTERM or SIGINT stops them too, instead of leaving them running with their database open.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

/** Registers a child until it exits; returns it. */
export function ownChild<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Sends SIGTERM to every child still running and waits for them to exit (SIGKILL after `graceMs`). */
export async function stopChildren(graceMs = 30_000): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
          }
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

/**
 * On SIGTERM or SIGINT: `cleanup` (stop the server, drop the database …) once, then exit 143 / 130. Further signals
 * while it runs are ignored (`npx tsx` relays the one it gets to this process: two arrive; stopChildren bounds the wait).
 */
export function cleanUpOnSignal(cleanup: () => Promise<void>, log: (line: string) => void): void {
  let stopping = false;
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping the server and removing the run's databases`);
      void cleanup()
        .catch((e: unknown) => log(`clean-up failed: ${(e as Error)?.message ?? String(e)}`))
        .finally(() => process.exit(code));
    });
}

/**
 * With NILECARE_BENCH_EXIT_WITH_PARENT=1 this process's stdin is a pipe from the process that started it, which the
 * system closes whenever that process ends, even by SIGKILL: this process then gets SIGTERM (its own handler stops it
 * gracefully), instead of running on with its database open.
 */
export function exitWithParent(): void {
  if (process.env.NILECARE_BENCH_EXIT_WITH_PARENT !== '1') return;
  process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.resume();
  process.stdin.unref(); // watching the pipe must not keep a finished process alive
}
