/**
 * A server process as an operator runs it (`npm start`, or `node dist/server/main.js` after the production build),
 * for tests that start, kill and restart real processes: free ports, the child with its output, readiness.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export type ServerProcess = {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
};

const started: ChildProcess[] = [];

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node <args>` (by default the sources through tsx, as `npm start`) with the environment given on top of ours.
 */
export function startServerProcess(
  env: Record<string, string>,
  args: string[] = ['--import', 'tsx', 'server/main.ts'],
  command: string[] = [process.execPath],
): ServerProcess {
  const [file, ...pre] = command;
  const child = spawn(file!, [...pre, ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  child.stderr.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  started.push(child);
  return { child, output: () => text, exited };
}

/** Waits until GET /readyz answers 200, or throws with the process's output (3 minutes at most: a loaded machine). */
export async function waitReady(base: string, server: ServerProcess): Promise<void> {
  for (let i = 0; i < 1800; i++) {
    if (server.child.exitCode !== null)
      throw new Error(`server exited (${server.child.exitCode}):\n${server.output()}`);
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not become ready:\n${server.output()}`);
}

/** Waits until the output matches (log lines travel through a pipe and may come a moment later). */
export async function waitForOutput(server: ServerProcess, pattern: RegExp, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(server.output())) {
    if (Date.now() > deadline) throw new Error(`no output matching ${pattern}:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Never leaves a server behind, whatever failed (call from `after`). */
export function killStartedServers(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
