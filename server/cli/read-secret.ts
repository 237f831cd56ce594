/**
 * Reads a password or token without putting it on the command line (where `npm run` echoes it and the shell keeps
 * it in its history): from a file, from standard input when it is piped, or typed at a prompt that does not echo.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError } from './cli-kit.js';

export async function readSecretFile(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the ${what} file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (!value) throw new UsageError(`the ${what} file ${path} is empty`);
  return value;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

async function prompt(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => resolve(answer));
      muted = true;
    });
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/** A new password: typed twice at a terminal, or the first line of piped standard input. */
export async function readNewPassword(what: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const value = await readStdin();
    if (!value) throw new UsageError(`no ${what} on standard input (pipe it in, or use --password-file or --generate)`);
    return value;
  }
  const first = await prompt(`new ${what}: `);
  const second = await prompt(`the same again: `);
  if (first !== second) throw new UsageError('the two entries differ; nothing was changed');
  return first;
}

/**
 * A FHIR API token for a command: `--token-file FILE`, else FHIR_TOKEN. `--token` is refused with the reason:
 * npm run prints its arguments, and the shell keeps them in its history.
 */
export async function fhirToken(
  values: { token?: string | boolean; 'token-file'?: string | boolean },
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  if (values.token !== undefined)
    throw new UsageError(
      'pass the token in FHIR_TOKEN or --token-file FILE, not on the command line (npm run prints it)',
    );
  if (typeof values['token-file'] === 'string') return readSecretFile(values['token-file'], 'token');
  return env.FHIR_TOKEN || undefined;
}
