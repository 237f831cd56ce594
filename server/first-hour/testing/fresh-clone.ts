/**
 * A fresh clone for the walkthrough test, without copying: a temporary folder whose entries are links to the
 * repository's own (sources, package.json, node_modules …) except what a clone does not have (data/, dist/,
 * test-artifacts/, .git). Commands run there exactly as a newcomer types them at the top of a clone — `npm start`,
 * `npm run auth -- …` — so the defaults (./data/pglite, ./data/auth, files written to the current folder) land in
 * the temporary folder, never in the checkout. The shell's environment is a newcomer's: every server variable
 * unset except the ports the test chose.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_VARIABLES } from '../../config.js';
import { REPOSITORY_ROOT } from '../../testing/corpus.js';

const NOT_IN_A_CLONE = new Set(['.git', 'data', 'dist', 'test-artifacts', 'coverage']);

export type Run = { code: number | null; stdout: string; stderr: string };

export interface FreshClone {
  dir: string;
  /** Runs a shell snippet (bash) in the clone; `input` goes to its standard input (else it is closed). */
  sh(snippet: string, input?: string): Promise<Run>;
  /** `npm start` in the clone: npm, the output so far, the end of npm and the server; stop() is Ctrl-C. */
  start(): { child: ChildProcess; output(): string; exited: Promise<number | null>; stop(): Promise<void> };
}

export function freshClone(ports: { http: number; mllp: number }): FreshClone {
  const dir = mkdtempSync(join(tmpdir(), 'nilecare-first-hour-'));
  for (const name of readdirSync(REPOSITORY_ROOT))
    if (!NOT_IN_A_CLONE.has(name)) symlinkSync(join(REPOSITORY_ROOT, name), join(dir, name));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // empty = unset (server/config.ts): the embedded default whatever the test machine exports
    ...Object.fromEntries(CONFIG_VARIABLES.map((v) => [v, ''])),
    FHIR_TOKEN: '',
    NILECARE_DEBUG: '',
    PORT: String(ports.http),
    MLLP_PORT: String(ports.mllp),
  };
  const sh = (snippet: string, input?: string): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn('bash', ['-c', snippet], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(input ?? '');
    });
  const start = () => {
    // its own process group, as at a terminal: Ctrl-C (SIGINT) reaches npm and the node it started
    const child = spawn('npm', ['start'], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    // 'close': npm has exited and so has every process that shared its output (the server)
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, s);
      } catch {
        // already gone
      }
    };
    let closed = false;
    void exited.then(() => (closed = true));
    const stop = async () => {
      if (closed) return;
      signal('SIGINT');
      const timer = setTimeout(() => signal('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    };
    return { child, output: () => text, exited, stop };
  };
  return { dir, sh, start };
}
